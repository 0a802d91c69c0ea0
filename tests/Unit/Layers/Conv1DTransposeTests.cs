using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class Conv1DTransposeTests
{
    private const string W = "~/Conv1DTranspose_0/__call__/w";
    private const string B = "~/Conv1DTranspose_0/__call__/b";

    [Fact]
    public void ParameterShapesFollowHaiku()
    {
        var p = Hk.Transform((Tensor x) => Conv1DTranspose.Create(5, [3], [2]).Call(x)).Init(0, ones(1, 4, 2));
        Assert.Equal($"{{'{B}': (5,), '{W}': (3, 5, 2)}}", p.Shapes().ToString());
        var q = Hk.Transform((Tensor x) => Conv1DTranspose.Create(5, [3], dataFormat: DataFormat.ChannelsFirst).Call(x)).Init(0, ones(1, 2, 4));
        Assert.Equal($"{{'{B}': (5, 1), '{W}': (3, 5, 2)}}", q.Shapes().ToString());
    }

    [Theory]
    [InlineData(3, 2, "SAME", 0, 0, 8)]
    [InlineData(4, 2, "SAME", 0, 1, 8)]
    [InlineData(3, 2, "VALID", 0, 0, 9)]
    [InlineData(3, 2, "SAME", 7, 1, 7)]
    public void MatchesTorchConvTranspose1d(int k, int s, string padding, int outputShape, int start, int length)
    {
        var xFirst = Random(1, 2, 3, 4);
        var f = Hk.Transform((Tensor v) => Conv1DTranspose.Create(2, [k], [s], outputShape > 0 ? [outputShape] : null,
            padding == "SAME" ? Pad.Same : Pad.Valid).Call(v));
        var x = xFirst.permute(0, 2, 1);
        var p = f.Init(2, x).With(B, Random(3, 2));
        using var deconv = nn.ConvTranspose1d(3, 2, k, stride: s, dtype: ScalarType.Float64);
        using (no_grad())
        {
            deconv.weight!.copy_(p[W].permute(2, 1, 0).flip(2));
            deconv.bias!.copy_(p[B]);
        }
        var expected = deconv.forward(xFirst).narrow(2, start, length);
        AssertClose(expected, f.Apply(p, x).permute(0, 2, 1));
        AssertClose(expected, TransposeReference.Expected(xFirst, p[W], p[B], k, s, start, length));
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var x = Random(5, 2, 3, 2);
        var f = Hk.Transform((Tensor v) => Conv1DTranspose.Create(2, [3], [2], padding: Pad.Valid).Call(v));
        var p = f.Init(1, x).With(B, Random(6, 2));
        var r = Random(7, f.Apply(p, x).shape);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, x) * r).sum());
    }

    [Fact]
    public void BadInputsAreExplained()
    {
        var e = Assert.Throws<LayerInputException>(() => Hk.Transform((Tensor v) => Conv1DTranspose.Create(2, [3]).Call(v)).Init(0, ones(1, 2, 4, 3)));
        Assert.Contains("NWC", e.Message);
        Assert.Throws<LayerConfigurationException>(() => Conv1DTranspose.Create(2, [3, 3]));
    }

    [Fact]
    public void TheSingleSizeOverloadReplicatesToEveryAxis()
    {
        var x = Random(8, 1, 4, 3);
        var single = Hk.Transform((Tensor v) => Conv1DTranspose.Create(2, 3, 2, outputSize: 7).Call(v));
        var perAxis = Hk.Transform((Tensor v) => Conv1DTranspose.Create(2, [3], [2], [7]).Call(v));
        var p = single.Init(0, x);
        Assert.Equal(p.Shapes().ToString(), perAxis.Init(0, x).Shapes().ToString());
        var y = single.Apply(p, x);
        Assert.Equal(7, y.shape[1]);
        AssertClose(perAxis.Apply(p, x), y);
    }
}
