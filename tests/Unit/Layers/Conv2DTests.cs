using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class Conv2DTests
{
    private const string W = "~/Conv2D_0/__call__/w";
    private const string B = "~/Conv2D_0/__call__/b";

    [Fact]
    public void ParameterShapesFollowHaikuForBothLayouts()
    {
        var nhwc = Hk.Transform((Tensor x) => Conv2D.Create(4, 3).Call(x)).Init(0, ones(1, 5, 5, 2));
        Assert.Equal($"{{'{B}': (4,), '{W}': (3, 3, 2, 4)}}", nhwc.Shapes().ToString());
        var nchw = Hk.Transform((Tensor x) => Conv2D.Create(4, 3, groups: 2, dataFormat: DataFormat.ChannelsFirst).Call(x)).Init(0, ones(1, 6, 5, 5));
        Assert.Equal($"{{'{B}': (4, 1, 1), '{W}': (3, 3, 3, 4)}}", nchw.Shapes().ToString());
        var rect = Hk.Transform((Tensor x) => Conv2D.Create(4, [1, 3], [1, 1], Pad.Same, [1, 1], withBias: false).Call(x)).Init(0, ones(1, 5, 5, 2));
        Assert.Equal($"{{'{W}': (1, 3, 2, 4)}}", rect.Shapes().ToString());
    }

    /// <summary>
    /// One comparison case: our layer with (kernel, stride, padding, dilation, groups) against
    /// nn.Conv2d with <c>torchPadding</c>, applied to the input padded by hand with <c>prePad</c>
    /// (functional.pad order: left, right, top, bottom) where torch cannot express the padding.
    /// </summary>
    public static TheoryData<string, int, int, Pad, int, int, long, long[]> Cases() => new()
    {
        { "valid", 3, 1, Pad.Valid, 1, 1, 0, [] },
        { "same odd kernel", 3, 1, Pad.Same, 1, 1, 1, [] },
        { "same dilated", 3, 1, Pad.Same, 2, 1, 2, [] },
        { "explicit symmetric stride 2", 3, 2, Pad.Explicit(1, 1), 1, 1, 1, [] },
        { "valid stride 2", 3, 2, Pad.Valid, 1, 1, 0, [] },
        { "same stride 2 (H 6: pad 0,1; W 7: pad 1,1)", 3, 2, Pad.Same, 1, 1, 0, [1, 1, 0, 1] },
        { "same even kernel", 4, 1, Pad.Same, 1, 1, 0, [1, 2, 1, 2] },
        { "explicit asymmetric", 3, 1, Pad.Explicit([(0, 2), (1, 0)]), 1, 1, 0, [1, 0, 0, 2] },
        { "groups", 3, 1, Pad.Valid, 1, 2, 0, [] },
        { "depthwise same", 3, 1, Pad.Same, 1, 4, 1, [] },
        { "groups, dilation, stride", 2, 2, Pad.Valid, 2, 2, 0, [] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTorchConv2dInBothLayouts(string label, int k, int stride, Pad padding, int dilation, int groups, long torchPadding, long[] prePad)
    {
        const int inC = 4, outC = 4;
        var xNchw = Random(1, 2, inC, 6, 7);
        using var conv = nn.Conv2d(inC, outC, k, stride: stride, padding: torchPadding, dilation: dilation, groups: groups, dtype: ScalarType.Float64);
        foreach (var format in new[] { DataFormat.ChannelsFirst, DataFormat.ChannelsLast })
        {
            var x = format == DataFormat.ChannelsFirst ? xNchw : xNchw.permute(0, 2, 3, 1);
            var f = Hk.Transform((Tensor v) => Conv2D.Create(outC, k, stride, padding, dilation, groups, dataFormat: format).Call(v));
            var p = f.Init(3, x);
            var bias = Random(4, outC);
            p = p.With(B, format == DataFormat.ChannelsFirst ? bias.reshape(outC, 1, 1) : bias);
            using (no_grad())
            {
                conv.weight!.copy_(p[W].permute(3, 2, 0, 1));
                conv.bias!.copy_(bias);
            }
            var expected = conv.forward(prePad.Length == 0 ? xNchw : nn.functional.pad(xNchw, prePad));
            var y = f.Apply(p, x);
            AssertClose(expected, format == DataFormat.ChannelsFirst ? y : y.permute(0, 3, 1, 2), because: $"{label}, {format}:");
        }
    }

    [Fact]
    public void SameWithStrideGivesCeilOfInputOverStride()
    {
        var f = Hk.Transform((Tensor v) => Conv2D.Create(3, 3, stride: 2).Call(v));
        var x = ones(1, 7, 8, 2);
        Assert.Equal([1L, 4, 4, 3], f.Apply(f.Init(0, x), x).shape);
    }

    [Fact]
    public void UnbatchedInputGivesUnbatchedOutput()
    {
        var f = Hk.Transform((Tensor v) => Conv2D.Create(3, 3).Call(v));
        var x = Random(2, 5, 5, 2);
        var p = f.Init(0, x);
        AssertClose(f.Apply(p, x.unsqueeze(0)).squeeze(0), f.Apply(p, x));
    }

    [Fact]
    public void DefaultInitScalesWithFanIn()
    {
        var p = Hk.Transform((Tensor v) => Conv2D.Create(64, 3).Call(v)).Init(1, ones(1, 4, 4, 32));
        var expectedStd = Initializers.TruncatedNormalStddev / Math.Sqrt(3 * 3 * 32);
        Assert.InRange(p[W].std().item<float>(), expectedStd * 0.95, expectedStd * 1.05);
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        foreach (var (stride, groups) in new[] { (2, 1), (1, 2) })
        {
            var x = Random(5, 1, 5, 5, 2);
            var f = Hk.Transform((Tensor v) => Conv2D.Create(2, 3, stride: stride, groups: groups).Call(v));
            var p = f.Init(1, x).With(B, Random(6, 2));
            var r = Random(7, f.Apply(p, x).shape);
            AssertMatchesFiniteDifferences(p, q => (f.Apply(q, x) * r).sum());
        }
    }

    [Fact]
    public void BadInputsAndArgumentsAreExplained()
    {
        var e = Assert.Throws<LayerInputException>(() => Hk.Transform((Tensor v) => Conv2D.Create(4, 3).Call(v)).Init(0, ones(4, 4)));
        Assert.Contains("NHWC", e.Message);
        Assert.Equal("~/Conv2D_0", e.Path);
        Assert.Contains("'~/Conv2D_0'", e.Message);
        Assert.Contains("got shape (4, 4)", e.Message);
        var g = Assert.Throws<LayerInputException>(() => Hk.Transform((Tensor v) => Conv2D.Create(4, 3, groups: 2).Call(v)).Init(0, ones(1, 4, 4, 3)));
        Assert.Contains("divisible", g.Message);
        var tooSmall = Assert.Throws<LayerInputException>(() => Hk.Transform((Tensor v) => Conv2D.Create(4, 5, padding: Pad.Valid).Call(v)).Init(0, ones(1, 3, 8, 2)));
        Assert.Contains("does not fit", tooSmall.Message);
        Assert.Throws<LayerConfigurationException>(() => Conv2D.Create(3, 3, groups: 2));
        Assert.Throws<LayerConfigurationException>(() => Conv2D.Create(3, 0));
        Assert.Throws<LayerConfigurationException>(() => Conv2D.Create(3, 3, padding: Pad.Explicit(-1, 0)));
    }
}
