using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class DepthwiseConv2DTests
{
    private const string W = "~/DepthwiseConv2D_0/__call__/w";
    private const string B = "~/DepthwiseConv2D_0/__call__/b";

    [Fact]
    public void ParameterShapesFollowHaiku()
    {
        var p = Hk.Transform((Tensor x) => DepthwiseConv2D.Create(2, 3).Call(x)).Init(0, ones(1, 5, 5, 3));
        Assert.Equal($"{{'{B}': (6,), '{W}': (3, 3, 1, 6)}}", p.Shapes().ToString());
        var q = Hk.Transform((Tensor x) => DepthwiseConv2D.Create(1, [1, 3], [1], Pad.Same, [1], dataFormat: DataFormat.ChannelsFirst).Call(x))
            .Init(0, ones(1, 3, 5, 5));
        Assert.Equal("{'~/DepthwiseConv2D_0/__call__/b': (3, 1, 1), '~/DepthwiseConv2D_0/__call__/w': (1, 3, 1, 3)}", q.Shapes().ToString());
    }

    [Theory]
    [InlineData(1, 3, 1, "SAME", 1, 1)]
    [InlineData(2, 3, 2, "VALID", 1, 0)]
    [InlineData(3, 3, 1, "SAME", 2, 2)]
    public void MatchesTorchConv2dWithOneGroupPerChannel(int multiplier, int k, int stride, string padding, int dilation, int torchPadding)
    {
        const int c = 3;
        var xNchw = Random(1, 2, c, 6, 6);
        using var conv = nn.Conv2d(c, c * multiplier, k, stride: stride, padding: torchPadding, dilation: dilation, groups: c, dtype: ScalarType.Float64);
        foreach (var format in new[] { DataFormat.ChannelsFirst, DataFormat.ChannelsLast })
        {
            var x = format == DataFormat.ChannelsFirst ? xNchw : xNchw.permute(0, 2, 3, 1);
            var f = Hk.Transform((Tensor v) => DepthwiseConv2D.Create(multiplier, k, stride, padding == "SAME" ? Pad.Same : Pad.Valid, dilation, dataFormat: format).Call(v));
            var bias = Random(4, c * multiplier);
            var p = f.Init(3, x).With(B, format == DataFormat.ChannelsFirst ? bias.reshape(c * multiplier, 1, 1) : bias);
            using (no_grad())
            {
                conv.weight!.copy_(p[W].permute(3, 2, 0, 1));
                conv.bias!.copy_(bias);
            }
            var y = f.Apply(p, x);
            AssertClose(conv.forward(xNchw), format == DataFormat.ChannelsFirst ? y : y.permute(0, 3, 1, 2), because: $"{format}:");
        }
    }

    [Fact]
    public void EachOutputChannelSeesOnlyItsInputChannel()
    {
        var x = Random(1, 1, 4, 4, 3);
        var f = Hk.Transform((Tensor v) => DepthwiseConv2D.Create(2, 3).Call(v));
        var p = f.Init(0, x);
        var changed = x.clone();
        changed[.., .., .., 1] = changed[.., .., .., 1] + 1;
        var difference = (f.Apply(p, changed) - f.Apply(p, x)).abs().sum([0, 1, 2]);
        // Input channel 1 feeds outputs 2 and 3 (c · m + j).
        Assert.Equal([false, false, true, true, false, false], difference.gt(0).data<bool>().ToArray());
    }

    [Fact]
    public void DefaultInitScalesWithTheKernelSizeOnly()
    {
        var p = Hk.Transform((Tensor v) => DepthwiseConv2D.Create(4, 3).Call(v)).Init(1, ones(1, 4, 4, 64));
        var expectedStd = Initializers.TruncatedNormalStddev / Math.Sqrt(3 * 3);
        Assert.InRange(p[W].std().item<float>(), expectedStd * 0.95, expectedStd * 1.05);
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var x = Random(5, 1, 4, 4, 2);
        var f = Hk.Transform((Tensor v) => DepthwiseConv2D.Create(2, 3, stride: 2).Call(v));
        var p = f.Init(1, x).With(B, Random(6, 4));
        var r = Random(7, f.Apply(p, x).shape);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, x) * r).sum());
    }

    [Fact]
    public void BadArgumentsAndInputsAreExplained()
    {
        Assert.Contains("channelMultiplier must be positive, got 0",
            Assert.Throws<LayerConfigurationException>(() => DepthwiseConv2D.Create(0, 3)).Message);
        Assert.Throws<LayerConfigurationException>(() => DepthwiseConv2D.Create(1, [3, 3, 3], [1], Pad.Same, [1]));
        var e = Assert.Throws<LayerInputException>(() => Hk.Transform((Tensor v) => DepthwiseConv2D.Create(1, 3).Call(v)).Init(0, ones([2, 4, 4, 4, 3])));
        Assert.Contains("NHWC", e.Message);
        Assert.Equal("~/DepthwiseConv2D_0", e.Path);
        var empty = Assert.Throws<LayerInputException>(() => Hk.Transform((Tensor v) => DepthwiseConv2D.Create(1, 3).Call(v)).Init(0, ones(1, 4, 4, 0)));
        Assert.Contains("at least one input channel", empty.Message);
    }
}
