using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class Conv3DTests
{
    private const string W = "~/Conv3D_0/__call__/w";
    private const string B = "~/Conv3D_0/__call__/b";

    [Fact]
    public void ParameterShapesFollowHaikuForBothLayouts()
    {
        var last = Hk.Transform((Tensor x) => Conv3D.Create(4, 3).Call(x)).Init(0, ones([1, 4, 4, 4, 2]));
        Assert.Equal($"{{'{B}': (4,), '{W}': (3, 3, 3, 2, 4)}}", last.Shapes().ToString());
        var first = Hk.Transform((Tensor x) => Conv3D.Create(4, [1, 2, 3], [1], Pad.Valid, [1], groups: 2, dataFormat: DataFormat.ChannelsFirst).Call(x))
            .Init(0, ones([1, 6, 4, 4, 4]));
        Assert.Equal($"{{'{B}': (4, 1, 1, 1), '{W}': (1, 2, 3, 3, 4)}}", first.Shapes().ToString());
    }

    /// <summary>(kernel, stride, padding, dilation, groups) against nn.Conv3d with <c>torchPadding</c> after <c>prePad</c> by hand.</summary>
    public static TheoryData<string, int, int, Pad, int, int, long, long[]> Cases() => new()
    {
        { "valid", 3, 1, Pad.Valid, 1, 1, 0, [] },
        { "same odd kernel", 3, 1, Pad.Same, 1, 1, 1, [] },
        { "same dilated, groups", 3, 1, Pad.Same, 2, 2, 2, [] },
        { "same stride 2 (D 4: 0,1; H 5: 1,1; W 6: 0,1)", 3, 2, Pad.Same, 1, 1, 0, [0, 1, 1, 1, 0, 1] },
        { "explicit asymmetric", 2, 1, Pad.Explicit([(1, 0), (0, 1), (1, 1)]), 1, 1, 0, [1, 1, 0, 1, 1, 0] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTorchConv3dInBothLayouts(string label, int k, int stride, Pad padding, int dilation, int groups, long torchPadding, long[] prePad)
    {
        var xFirst = Random(1, 2, 2, 4, 5, 6);
        using var conv = nn.Conv3d(2, 4, k, stride: stride, padding: torchPadding, dilation: dilation, groups: groups, dtype: ScalarType.Float64);
        foreach (var format in new[] { DataFormat.ChannelsFirst, DataFormat.ChannelsLast })
        {
            var x = format == DataFormat.ChannelsFirst ? xFirst : xFirst.permute(0, 2, 3, 4, 1);
            var f = Hk.Transform((Tensor v) => Conv3D.Create(4, k, stride, padding, dilation, groups, dataFormat: format).Call(v));
            var bias = Random(4, 4);
            var p = f.Init(3, x).With(B, format == DataFormat.ChannelsFirst ? bias.reshape(4, 1, 1, 1) : bias);
            using (no_grad())
            {
                conv.weight!.copy_(p[W].permute(4, 3, 0, 1, 2));
                conv.bias!.copy_(bias);
            }
            var expected = conv.forward(prePad.Length == 0 ? xFirst : nn.functional.pad(xFirst, prePad));
            var y = f.Apply(p, x);
            AssertClose(expected, format == DataFormat.ChannelsFirst ? y : y.permute(0, 4, 1, 2, 3), because: $"{label}, {format}:");
        }
    }

    [Fact]
    public void UnbatchedInputGivesUnbatchedOutput()
    {
        var f = Hk.Transform((Tensor v) => Conv3D.Create(2, 2).Call(v));
        var x = Random(2, 3, 3, 3, 2);
        var p = f.Init(0, x);
        AssertClose(f.Apply(p, x.unsqueeze(0)).squeeze(0), f.Apply(p, x));
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var x = Random(5, 1, 3, 3, 4, 2);
        var f = Hk.Transform((Tensor v) => Conv3D.Create(2, 2, stride: 2).Call(v));
        var p = f.Init(1, x).With(B, Random(6, 2));
        var r = Random(7, f.Apply(p, x).shape);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, x) * r).sum());
    }

    [Fact]
    public void BadInputsAndArgumentsAreExplained()
    {
        var e = Assert.Throws<LayerInputException>(() => Hk.Transform((Tensor v) => Conv3D.Create(4, 3).Call(v)).Init(0, ones(4, 2)));
        Assert.Contains("NDHWC", e.Message);
        Assert.Equal("~/Conv3D_0", e.Path);
        Assert.Contains("got shape (4, 2)", e.Message);
        var g = Assert.Throws<LayerInputException>(() => Hk.Transform((Tensor v) => Conv3D.Create(4, 1, groups: 2).Call(v)).Init(0, ones([1, 2, 2, 2, 3])));
        Assert.Contains("divisible by 2", g.Message);
        var k = Assert.Throws<LayerConfigurationException>(() => Conv3D.Create(4, [3, 3], [1], Pad.Same, [1]));
        Assert.Contains("kernelShape needs 3 values, got 2", k.Message);
        Assert.Throws<LayerConfigurationException>(() => Conv3D.Create(4, 3, stride: 0));
        Assert.Throws<LayerConfigurationException>(() => Conv3D.Create(3, 3, groups: 2));
    }

    [Fact]
    public void DefaultInitScalesWithFanIn()
    {
        var p = Hk.Transform((Tensor v) => Conv3D.Create(32, 3).Call(v)).Init(1, ones([1, 3, 3, 3, 16]));
        var expected = Initializers.TruncatedNormalStddev / Math.Sqrt(3 * 3 * 3 * 16);
        Assert.InRange(p[W].std().item<float>(), expected * 0.95, expected * 1.05);
        Assert.True(p[B].Equals(zeros(32)), "b starts at zeros");
    }
}
