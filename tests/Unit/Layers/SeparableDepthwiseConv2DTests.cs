using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class SeparableDepthwiseConv2DTests
{
    private const string Tall = "~/SeparableDepthwiseConv2D_0/__call__/DepthwiseConv2D_0/__call__/";
    private const string Wide = "~/SeparableDepthwiseConv2D_0/__call__/DepthwiseConv2D_1/__call__/";

    [Fact]
    public void ParametersAreThoseOfTheTwoDepthwiseConvolutions()
    {
        var p = Hk.Transform((Tensor x) => SeparableDepthwiseConv2D.Create(2, [3, 5]).Call(x)).Init(0, ones(1, 6, 6, 3));
        Assert.Equal($"{{'{Tall}w': (3, 1, 1, 6), '{Wide}b': (6,), '{Wide}w': (1, 5, 1, 6)}}", p.Shapes().ToString());
    }

    [Fact]
    public void EqualsTwoTorchGroupedConvolutionsInSequence()
    {
        var xNchw = Random(1, 2, 2, 6, 7);
        var x = xNchw.permute(0, 2, 3, 1);
        var f = Hk.Transform((Tensor v) => SeparableDepthwiseConv2D.Create(2, [3, 3], [2], Pad.Valid).Call(v));
        var p = f.Init(0, x).With(Wide + "b", Random(2, 4));
        using var tall = nn.Conv2d(2, 4, (3, 1), stride: (2, 2), groups: 2, bias: false, dtype: ScalarType.Float64);
        using var wide = nn.Conv2d(4, 4, (1, 3), groups: 4, dtype: ScalarType.Float64);
        using (no_grad())
        {
            tall.weight!.copy_(p[Tall + "w"].permute(3, 2, 0, 1));
            wide.weight!.copy_(p[Wide + "w"].permute(3, 2, 0, 1));
            wide.bias!.copy_(p[Wide + "b"]);
        }
        AssertClose(wide.forward(tall.forward(xNchw)), f.Apply(p, x).permute(0, 3, 1, 2));
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var x = Random(5, 1, 4, 4, 2);
        var f = Hk.Transform((Tensor v) => SeparableDepthwiseConv2D.Create(1, [3]).Call(v));
        var p = f.Init(1, x).With(Wide + "b", Random(6, 2));
        var r = Random(7, f.Apply(p, x).shape);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, x) * r).sum());
    }

    [Fact]
    public void BadArgumentsAreExplained()
    {
        Assert.Throws<LayerConfigurationException>(() => SeparableDepthwiseConv2D.Create(0, [3]));
        Assert.Contains("kernelShape needs 2 values, got 3",
            Assert.Throws<LayerConfigurationException>(() => SeparableDepthwiseConv2D.Create(1, [3, 3, 3])).Message);
    }
}
