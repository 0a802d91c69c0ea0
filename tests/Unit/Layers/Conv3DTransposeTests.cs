using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class Conv3DTransposeTests
{
    private const string W = "~/Conv3DTranspose_0/__call__/w";
    private const string B = "~/Conv3DTranspose_0/__call__/b";

    [Fact]
    public void ParameterShapesFollowHaiku()
    {
        var p = Hk.Transform((Tensor x) => Conv3DTranspose.Create(5, [1, 2, 3], [2]).Call(x)).Init(0, ones([1, 2, 2, 2, 3]));
        Assert.Equal($"{{'{B}': (5,), '{W}': (1, 2, 3, 5, 3)}}", p.Shapes().ToString());
        var q = Hk.Transform((Tensor x) => Conv3DTranspose.Create(5, [2], dataFormat: DataFormat.ChannelsFirst).Call(x)).Init(0, ones([1, 3, 2, 2, 2]));
        Assert.Equal($"{{'{B}': (5, 1, 1, 1), '{W}': (2, 2, 2, 5, 3)}}", q.Shapes().ToString());
    }

    [Theory]
    [InlineData(3, 2, "SAME", 0, 0, 6)]
    [InlineData(2, 1, "SAME", 0, 0, 3)]
    [InlineData(3, 2, "VALID", 0, 0, 7)]
    [InlineData(3, 2, "SAME", 5, 1, 5)]
    public void MatchesTorchConvTranspose3dInBothLayouts(int k, int s, string padding, int outputShape, int start, int length)
    {
        var xFirst = Random(1, 1, 2, 3, 3, 3);
        using var deconv = nn.ConvTranspose3d(2, 2, k, stride: s, dtype: ScalarType.Float64);
        foreach (var format in new[] { DataFormat.ChannelsFirst, DataFormat.ChannelsLast })
        {
            var x = format == DataFormat.ChannelsFirst ? xFirst : xFirst.permute(0, 2, 3, 4, 1);
            var f = Hk.Transform((Tensor v) => Conv3DTranspose.Create(2, [k], [s], outputShape > 0 ? [outputShape] : null,
                padding == "SAME" ? Pad.Same : Pad.Valid, dataFormat: format).Call(v));
            var bias = Random(3, 2);
            var p = f.Init(2, x).With(B, format == DataFormat.ChannelsFirst ? bias.reshape(2, 1, 1, 1) : bias);
            using (no_grad())
            {
                deconv.weight!.copy_(p[W].permute(4, 3, 0, 1, 2).flip(2, 3, 4));
                deconv.bias!.copy_(bias);
            }
            var expected = deconv.forward(xFirst).narrow(2, start, length).narrow(3, start, length).narrow(4, start, length);
            var y = f.Apply(p, x);
            AssertClose(expected, format == DataFormat.ChannelsFirst ? y : y.permute(0, 4, 1, 2, 3), because: $"{format}:");
        }
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var x = Random(5, 1, 2, 2, 2, 2);
        var f = Hk.Transform((Tensor v) => Conv3DTranspose.Create(2, [2], [2]).Call(v));
        var p = f.Init(1, x).With(B, Random(6, 2));
        var r = Random(7, f.Apply(p, x).shape);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, x) * r).sum());
    }

    [Fact]
    public void BadInputsAreExplained()
    {
        var e = Assert.Throws<LayerInputException>(() => Hk.Transform((Tensor v) => Conv3DTranspose.Create(2, [3]).Call(v)).Init(0, ones(4, 4)));
        Assert.Contains("NDHWC", e.Message);
        Assert.Equal("~/Conv3DTranspose_0", e.Path);
    }

    [Fact]
    public void TheSingleSizeOverloadReplicatesToEveryAxis()
    {
        var x = Random(8, [1, 4, 4, 4, 3]);
        var single = Hk.Transform((Tensor v) => Conv3DTranspose.Create(2, 3, 2, outputSize: 7).Call(v));
        var perAxis = Hk.Transform((Tensor v) => Conv3DTranspose.Create(2, [3, 3, 3], [2, 2, 2], [7, 7, 7]).Call(v));
        var p = single.Init(0, x);
        Assert.Equal(p.Shapes().ToString(), perAxis.Init(0, x).Shapes().ToString());
        var y = single.Apply(p, x);
        Assert.Equal(7, y.shape[1]);
        AssertClose(perAxis.Apply(p, x), y);
    }
}
