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

    /// <summary>(x − mean)/√(var + eps)·scale + offset, written out with elementwise ops (biased variance).</summary>
    private static Tensor ByHand(Tensor x, long[] axes, Tensor? scale, Tensor? offset, double eps = 1e-5)
    {
        var centered = x - x.mean(axes, keepdim: true);
        var y = centered / torch.sqrt(centered.square().mean(axes, keepdim: true) + eps);
        if (scale is not null) y = y * scale;
        return offset is null ? y : y + offset;
    }

    // The default configuration runs libtorch's fused layer_norm; other axes and parameter shapes the elementwise
    // formula. Both must give Haiku's LayerNorm, values and gradients with respect to the input and the parameters.
    [Theory]
    [InlineData(new[] { -1 }, null)]          // fused: trailing axis, parameters [5]
    [InlineData(new[] { 2 }, null)]           // fused: the same axis counted from the front
    [InlineData(new[] { 1, 2 }, null)]        // trailing axes but parameters [5] ≠ [3, 5]: elementwise
    [InlineData(new[] { 2, 1 }, new[] { 1, 2 })] // trailing axes, parameters [1, 3, 5]: elementwise
    [InlineData(new[] { 0 }, null)]           // a leading axis: elementwise
    [InlineData(new[] { 0, 2 }, new[] { 2 })] // not the trailing axes: elementwise
    public void ValuesAndInputGradientsMatchTheFormulaOnEveryPath(int[] axes, int[]? paramAxis)
    {
        var x = (Random(20, 4, 3, 5) * 3 + 1).requires_grad_();
        var f = Hk.Transform((Tensor v) => LayerNorm.Create(axes, paramAxis: paramAxis).Call(v));
        var p = f.Init(0, x);
        p = p.With(Scale, Random(21, p[Scale].shape)).With(Offset, Random(22, p[Offset].shape));
        var r = Random(23, 4, 3, 5);
        var normalized = axes.Select(a => (long)(a < 0 ? a + 3 : a)).ToArray();
        var expected = ByHand(x, normalized, p[Scale], p[Offset]);
        var actual = f.Apply(p, x);
        AssertClose(expected, actual, rtol: 1e-9, atol: 1e-9);
        var expectedGrad = torch.autograd.grad([(expected * r).sum()], [x])[0];
        var actualGrad = torch.autograd.grad([(actual * r).sum()], [x])[0];
        AssertClose(expectedGrad, actualGrad, rtol: 1e-9, atol: 1e-9);
    }

    [Fact]
    public void ScaleAndOffsetGivenAtCallTimeMatchTheFormula()
    {
        var x = Random(30, 4, 3, 5);
        var f = Hk.Transform(((Tensor X, Tensor S, Tensor O) i) =>
            LayerNorm.Create(createScale: false, createOffset: false).Call(i.X, i.S, i.O));
        // [5] fits the normalised axis (fused); [4, 3, 5] is per element (elementwise).
        foreach (var shape in new[] { new long[] { 5 }, [4, 3, 5], [3, 1] })
        {
            var s = Random(31, shape);
            var o = Random(32, shape);
            AssertClose(ByHand(x, [2], s, o), f.Apply(Params.Empty, (x, s, o)), rtol: 1e-9, atol: 1e-9);
        }
    }

    [Fact]
    public void BadAxesAreExplained()
    {
        Assert.Throws<LayerInputException>(() => Hk.Transform((Tensor v) => LayerNorm.Create([3]).Call(v)).Init(0, ones(2, 3)));
        Assert.Throws<LayerConfigurationException>(() => LayerNorm.Create([]));
        Assert.Throws<LayerConfigurationException>(() => LayerNorm.Create(eps: 0));
    }
}
