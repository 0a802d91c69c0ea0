using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class LayerNormTests
{
    private const string Scale = "~/LayerNorm_0/__call__/scale";
    private const string Offset = "~/LayerNorm_0/__call__/offset";

    [Fact]
    public void ParametersAreScaleAndOffsetOfTheLastAxis()
    {
        var p = Hk.Transform((Tensor x) => LayerNorm.Create().Call(x)).Init(0, ones(2, 3, 5));
        Assert.Equal($"{{'{Offset}': (5,), '{Scale}': (5,)}}", p.Shapes().ToString());
        Assert.True(p[Scale].Equals(ones(5)) && p[Offset].Equals(zeros(5)));
        var none = Hk.Transform((Tensor x) => LayerNorm.Create(createScale: false, createOffset: false).Call(x)).Init(0, ones(2, 5));
        Assert.Empty(none);
    }

    [Fact]
    public void MatchesTorchLayerNorm()
    {
        var x = Random(1, 4, 3, 5) * 3 + 1;
        var f = Hk.Transform((Tensor v) => LayerNorm.Create().Call(v));
        var p = f.Init(0, x).With(Scale, Random(2, 5)).With(Offset, Random(3, 5));
        using var ln = nn.LayerNorm(5, dtype: ScalarType.Float64);
        using (no_grad())
        {
            ln.weight!.copy_(p[Scale]);
            ln.bias!.copy_(p[Offset]);
        }
        AssertClose(ln.forward(x), f.Apply(p, x));
    }

    [Fact]
    public void NormalisesOverSeveralAxesLikeTorchWithoutAffine()
    {
        var x = Random(4, 2, 3, 5) * 2;
        var y = Hk.Transform((Tensor v) => LayerNorm.Create([1, 2], createScale: false, createOffset: false).Call(v)).Apply(Params.Empty, x);
        using var ln = nn.LayerNorm([3, 5], elementwise_affine: false, dtype: ScalarType.Float64);
        AssertClose(ln.forward(x), y);
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var x = Random(5, 3, 4);
        var f = Hk.Transform((Tensor v) => LayerNorm.Create().Call(v));
        var p = f.Init(0, x).With(Scale, Random(6, 4)).With(Offset, Random(7, 4));
        var r = Random(8, 3, 4);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, x) * r).sum());
    }

    [Fact]
    public void BadAxesAreExplained()
    {
        Assert.Throws<LayerInputException>(() => Hk.Transform((Tensor v) => LayerNorm.Create([3]).Call(v)).Init(0, ones(2, 3)));
        Assert.Throws<LayerConfigurationException>(() => LayerNorm.Create([]));
        Assert.Throws<LayerConfigurationException>(() => LayerNorm.Create(eps: 0));
    }
}
