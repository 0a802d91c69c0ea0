using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class Conv1DTests
{
    private const string W = "~/Conv1D_0/__call__/w";
    private const string B = "~/Conv1D_0/__call__/b";

    [Fact]
    public void ParameterShapesFollowHaiku()
    {
        var p = Hk.Transform((Tensor x) => Conv1D.Create(4, 5).Call(x)).Init(0, ones(2, 9, 3));
        Assert.Equal($"{{'{B}': (4,), '{W}': (5, 3, 4)}}", p.Shapes().ToString());
        var q = Hk.Transform((Tensor x) => Conv1D.Create(4, 5, dataFormat: DataFormat.ChannelsFirst).Call(x)).Init(0, ones(2, 3, 9));
        Assert.Equal($"{{'{B}': (4, 1), '{W}': (5, 3, 4)}}", q.Shapes().ToString());
    }

    public static TheoryData<int, int, Pad, int, int, long, long[]> Cases() => new()
    {
        { 3, 1, Pad.Same, 1, 1, 1, [] },
        { 3, 2, Pad.Valid, 1, 1, 0, [] },
        { 3, 1, Pad.Same, 2, 2, 2, [] },
        { 2, 1, Pad.Same, 1, 1, 0, [0, 1] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTorchConv1dInBothLayouts(int k, int stride, Pad padding, int dilation, int groups, long torchPadding, long[] prePad)
    {
        var xNcw = Random(1, 2, 4, 9);
        using var conv = nn.Conv1d(4, 6, k, stride: stride, padding: torchPadding, dilation: dilation, groups: groups, dtype: ScalarType.Float64);
        foreach (var format in new[] { DataFormat.ChannelsFirst, DataFormat.ChannelsLast })
        {
            var x = format == DataFormat.ChannelsFirst ? xNcw : xNcw.permute(0, 2, 1);
            var f = Hk.Transform((Tensor v) => Conv1D.Create(6, k, stride, padding, dilation, groups, dataFormat: format).Call(v));
            var p = f.Init(3, x);
            var bias = Random(4, 6);
            p = p.With(B, format == DataFormat.ChannelsFirst ? bias.reshape(6, 1) : bias);
            using (no_grad())
            {
                conv.weight!.copy_(p[W].permute(2, 1, 0));
                conv.bias!.copy_(bias);
            }
            var expected = conv.forward(prePad.Length == 0 ? xNcw : nn.functional.pad(xNcw, prePad));
            var y = f.Apply(p, x);
            AssertClose(expected, format == DataFormat.ChannelsFirst ? y : y.permute(0, 2, 1));
        }
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var x = Random(5, 2, 7, 3);
        var f = Hk.Transform((Tensor v) => Conv1D.Create(2, 3, stride: 2).Call(v));
        var p = f.Init(1, x).With(B, Random(6, 2));
        var r = Random(7, f.Apply(p, x).shape);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, x) * r).sum());
    }
}
