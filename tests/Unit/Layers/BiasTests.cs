using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class BiasTests
{
    private const string B = "~/Bias_0/__call__/b";

    private static string Shape(IReadOnlyList<int>? biasDims, params long[] input) =>
        Hk.Transform((Tensor x) => Bias.Create(biasDims: biasDims).Call(x)).Init(0, ones(input))[B].shape is var s ? ShapeText.Format(s) : "";

    [Fact]
    public void BiasShapeFollowsHaikusCalculateBiasShape()
    {
        Assert.Equal("(3, 4, 5)", Shape(null, 2, 3, 4, 5));     // all but the batch axis
        Assert.Equal("(5,)", Shape([-1], 2, 3, 4, 5));           // the last axis
        Assert.Equal("(3, 1, 1)", Shape([1], 2, 3, 4, 5));       // the first non-batch axis, broadcast over the rest
        Assert.Equal("(4, 1)", Shape([2], 2, 3, 4, 5));          // leading 1s dropped
        Assert.Equal("(3, 1, 5)", Shape([1, 3], 2, 3, 4, 5));
        Assert.Equal("()", Shape([], 2, 3));                     // a scalar bias
    }

    [Fact]
    public void AddsTheBroadcastBiasTimesTheMultiplier()
    {
        var x = Random(1, 2, 3, 4);
        var f = Hk.Transform((Tensor v) => Bias.Create(biasDims: [1]).Call(v));
        var p = f.Init(0, x);
        Assert.True(p[B].Equals(zeros(3, 1, dtype: ScalarType.Float64)), "default zeros");
        var b = Random(2, 3, 1);
        p = p.With(B, b);
        AssertClose(x + b.unsqueeze(0), f.Apply(p, x));
        var minus = Hk.Transform((Tensor v) => Bias.Create(biasDims: [1]).Call(v, tensor(-1.0, dtype: ScalarType.Float64)));
        AssertClose(x - b.unsqueeze(0), minus.Apply(p, x));
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var x = Random(3, 2, 3);
        var f = Hk.Transform((Tensor v) => Bias.Create(bInit: Initializers.RandomNormal()).Call(v));
        var p = f.Init(1, x);
        var r = Random(4, 2, 3);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, x).square() * r).sum());
    }

    [Fact]
    public void BadInputsAndArgumentsAreExplained()
    {
        var rank = Assert.Throws<LayerInputException>(() => Hk.Transform((Tensor v) => Bias.Create().Call(v)).Init(0, ones(3)));
        Assert.Contains("at least two axes, got shape (3,)", rank.Message);
        Assert.Equal("~/Bias_0", rank.Path);
        var batch = Assert.Throws<LayerInputException>(() => Hk.Transform((Tensor v) => Bias.Create(biasDims: [0]).Call(v)).Init(0, ones(2, 3)));
        Assert.Contains("batch axis", batch.Message);
        var range = Assert.Throws<LayerInputException>(() => Hk.Transform((Tensor v) => Bias.Create(biasDims: [2]).Call(v)).Init(0, ones(2, 3)));
        Assert.Contains("out of range", range.Message);
        var size = Assert.Throws<LayerInputException>(() => Hk.Transform((Tensor v) => Bias.Create(outputSize: [4]).Call(v)).Init(0, ones(2, 3)));
        Assert.Contains("(-1, 4), got (2, 3)", size.Message);
        Assert.Throws<LayerConfigurationException>(() => Bias.Create(outputSize: [0]));
    }

    [Fact]
    public void AConstantMultiplierEqualsATensorOne()
    {
        var x = Random(5, 2, 3);
        var f = Hk.Transform((Tensor v) => from b in Bias.Create() from y in b.Call(v, -2.0) select y);
        var g = Hk.Transform((Tensor v) => Bias.Create().Call(v, tensor(-2.0, dtype: ScalarType.Float64)));
        var p = f.Init(0, x).With(B, Random(6, 3));
        AssertClose(g.Apply(p, x), f.Apply(p, x));
        AssertClose(x - 2 * p[B], f.Apply(p, x));
    }
}
