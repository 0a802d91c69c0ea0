using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class DepthwiseConv3DTests
{
    private const string W = "~/DepthwiseConv3D_0/__call__/w";
    private const string B = "~/DepthwiseConv3D_0/__call__/b";

    [Fact]
    public void MatchesTorchConv3dWithGroupsAndPinsShapes()
    {
        var xFirst = Random(1, 1, 2, 4, 4, 4);
        var x = xFirst.permute(0, 2, 3, 4, 1);
        var f = Hk.Transform((Tensor v) => DepthwiseConv3D.Create(3, 2, stride: 2, padding: Pad.Valid).Call(v));
        var p = f.Init(0, x).With(B, Random(2, 6));
        Assert.Equal($"{{'{B}': (6,), '{W}': (2, 2, 2, 1, 6)}}", p.Shapes().ToString());
        using var conv = nn.Conv3d(2, 6, 2, stride: 2, groups: 2, dtype: ScalarType.Float64);
        using (no_grad())
        {
            conv.weight!.copy_(p[W].permute(4, 3, 0, 1, 2));
            conv.bias!.copy_(p[B]);
        }
        AssertClose(conv.forward(xFirst), f.Apply(p, x).permute(0, 4, 1, 2, 3));
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var x = Random(5, 1, 3, 3, 3, 2);
        var f = Hk.Transform((Tensor v) => DepthwiseConv3D.Create(1, 2).Call(v));
        var p = f.Init(1, x).With(B, Random(6, 2));
        var r = Random(7, f.Apply(p, x).shape);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, x) * r).sum());
    }

    [Fact]
    public void BadArgumentsAreExplained() =>
        Assert.Contains("dilation must be positive",
            Assert.Throws<LayerConfigurationException>(() => DepthwiseConv3D.Create(1, 3, dilation: 0)).Message);
}
