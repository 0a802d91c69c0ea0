using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class Conv2DTransposeTests
{
    private const string W = "~/Conv2DTranspose_0/__call__/w";
    private const string B = "~/Conv2DTranspose_0/__call__/b";

    [Fact]
    public void ParameterShapesFollowHaiku()
    {
        var p = Hk.Transform((Tensor x) => Conv2DTranspose.Create(5, 3, stride: 2).Call(x)).Init(0, ones(1, 4, 4, 2));
        Assert.Equal($"{{'{B}': (5,), '{W}': (3, 3, 5, 2)}}", p.Shapes().ToString());
    }

    /// <summary>
    /// Torch's ConvTranspose2d (padding 0) gives the "full" output of length (in−1)·s + k. JAX/Haiku pad
    /// the dilated input with (pad_a, pad_b); their output is the full output cropped to start at
    /// k − 1 − pad_a, with length in·s (SAME) or in·s + max(k − s, 0) (VALID). The crop start and length
    /// below were worked out by hand from those definitions.
    /// </summary>
    public static TheoryData<int, int, Pad, int, int> Cases() => new()
    {
        // k, s, padding, crop start, output length for input length 4
        { 3, 1, Pad.Same, 1, 4 },   // pad_a = 1
        { 3, 2, Pad.Same, 0, 8 },   // pad_a = ceil(3/2) = 2
        { 2, 2, Pad.Same, 0, 8 },   // s > k−1: pad_a = k−1 = 1
        { 4, 2, Pad.Same, 1, 8 },   // pad_a = ceil(4/2) = 2
        { 3, 2, Pad.Valid, 0, 9 },  // pad_a = k−1, full output
        { 3, 1, Pad.Valid, 0, 6 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTorchConvTranspose2dWithFlippedKernelAndCrop(int k, int s, Pad padding, int start, int length)
    {
        var xNchw = Random(1, 2, 3, 4, 4);
        using var deconv = nn.ConvTranspose2d(3, 2, k, stride: s, dtype: ScalarType.Float64);
        foreach (var format in new[] { DataFormat.ChannelsFirst, DataFormat.ChannelsLast })
        {
            var x = format == DataFormat.ChannelsFirst ? xNchw : xNchw.permute(0, 2, 3, 1);
            var f = Hk.Transform((Tensor v) => Conv2DTranspose.Create(2, k, s, padding, dataFormat: format).Call(v));
            var p = f.Init(2, x);
            var bias = Random(3, 2);
            p = p.With(B, format == DataFormat.ChannelsFirst ? bias.reshape(2, 1, 1) : bias);
            using (no_grad())
            {
                deconv.weight!.copy_(p[W].permute(3, 2, 0, 1).flip(2, 3));
                deconv.bias!.copy_(bias);
            }
            var full = deconv.forward(xNchw);
            var expected = full[.., .., start..(start + length), start..(start + length)];
            var y = f.Apply(p, x);
            AssertClose(expected, format == DataFormat.ChannelsFirst ? y : y.permute(0, 3, 1, 2));
        }
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var x = Random(5, 1, 3, 3, 2);
        var f = Hk.Transform((Tensor v) => Conv2DTranspose.Create(2, 3, stride: 2).Call(v));
        var p = f.Init(1, x).With(B, Random(6, 2));
        var r = Random(7, f.Apply(p, x).shape);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, x) * r).sum());
    }

    [Theory]
    [InlineData("SAME", 7, 1)]   // input 4, stride 2: SAME gives 7 or 8
    [InlineData("SAME", 8, 0)]
    [InlineData("VALID", 10, 0)] // VALID gives 9 or 10; the 10th position sees only the bias
    public void OutputShapeAdjustsThePaddingAsHaiku(string padding, int output, int start)
    {
        var xNchw = Random(1, 1, 3, 4, 4);
        var x = xNchw.permute(0, 2, 3, 1);
        var f = Hk.Transform((Tensor v) => Conv2DTranspose.Create(2, 3, 2, padding == "SAME" ? Pad.Same : Pad.Valid, outputShape: [output]).Call(v));
        var p = f.Init(2, x).With(B, Random(3, 2));
        var y = f.Apply(p, x);
        Assert.Equal([1L, output, output, 2], y.shape);
        AssertClose(TransposeReference.Expected(xNchw, p[W], p[B], 3, 2, start, output), y.permute(0, 3, 1, 2));
        var e = Assert.Throws<LayerInputException>(() => f.Init(0, ones(1, 5, 4, 3)));
        Assert.Contains("spatial axis 0", e.Message);
    }

    [Fact]
    public void ExplicitPaddingIsRejected() =>
        Assert.Throws<LayerConfigurationException>(() => Conv2DTranspose.Create(2, 3, padding: Pad.Explicit(1, 1)));
}
