using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class DepthwiseConv1DTests
{
    private const string W = "~/DepthwiseConv1D_0/__call__/w";
    private const string B = "~/DepthwiseConv1D_0/__call__/b";

    [Fact]
    public void MatchesTorchConv1dWithGroupsAndPinsShapes()
    {
        var xNcw = Random(1, 2, 3, 7);
        var f = Hk.Transform((Tensor v) => DepthwiseConv1D.Create(2, 3, dataFormat: DataFormat.ChannelsFirst).Call(v));
        var p = f.Init(0, xNcw).With(B, Random(2, 6).reshape(6, 1));
        Assert.Equal($"{{'{B}': (6, 1), '{W}': (3, 1, 6)}}", p.Shapes().ToString());
        using var conv = nn.Conv1d(3, 6, 3, padding: 1, groups: 3, dtype: ScalarType.Float64);
        using (no_grad())
        {
            conv.weight!.copy_(p[W].permute(2, 1, 0));
            conv.bias!.copy_(p[B].reshape(6));
        }
        AssertClose(conv.forward(xNcw), f.Apply(p, xNcw));
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var x = Random(5, 1, 5, 2);
        var f = Hk.Transform((Tensor v) => DepthwiseConv1D.Create(1, 2, padding: Pad.Valid).Call(v));
        var p = f.Init(1, x).With(B, Random(6, 2));
        var r = Random(7, f.Apply(p, x).shape);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, x) * r).sum());
    }

    [Fact]
    public void BadInputsAreExplained()
    {
        var e = Assert.Throws<LayerInputException>(() => Hk.Transform((Tensor v) => DepthwiseConv1D.Create(1, 5, padding: Pad.Valid).Call(v)).Init(0, ones(1, 3, 2)));
        Assert.Contains("does not fit", e.Message);
    }
}
