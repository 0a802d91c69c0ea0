using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class BatchApplyTests
{
    [Fact]
    public void MergesTheLeadingAxesAndSplitsTheOutput()
    {
        var xs = Random(1, 3, 2, 5);                                     // [T, B, F]
        var f = Hk.Transform((Tensor v) => BatchApply.Call(h => Linear.Create(4).Call(h), v));
        var p = f.Init(0, xs);
        Assert.Equal("{'~/Linear_0/__call__/b': (4,), '~/Linear_0/__call__/w': (5, 4)}", p.Shapes().ToString());
        var y = f.Apply(p, xs);
        Assert.Equal([3L, 2, 4], y.shape);
        var seen = new List<long[]>();
        Hk.Transform((Tensor v) => BatchApply.Call(h => { seen.Add(h.shape); return Hk.Pure(h); }, v)).Apply(Params.Empty, xs);
        Assert.Equal([6L, 5], seen.Single());
        AssertClose(xs.matmul(p["~/Linear_0/__call__/w"]) + p["~/Linear_0/__call__/b"], y);
    }

    [Fact]
    public void SeveralInputsAndSmallerOnesPassedUnchanged()
    {
        var a = Random(2, 2, 3, 4);
        var b = Random(3, 2, 3, 4);
        var scale = Random(4, 4);                                        // rank 1 < numDims: unchanged
        var f = Hk.Transform((Tensor v) => BatchApply.Call(xs => Hk.Pure(xs[0] * xs[1] * xs[2]), [v, b, scale]));
        AssertClose(a * b * scale, f.Apply(Params.Empty, a));
        var three = Hk.Transform((Tensor v) => BatchApply.Call(h => Hk.Pure(h.sum(1)), v, numDims: 3)).Apply(Params.Empty, Random(5, [2, 3, 4, 5, 6]));
        Assert.Equal([2L, 3, 4, 6], three.shape);
    }

    [Fact]
    public void BadInputsAndOutputsAreExplained()
    {
        var none = Assert.Throws<LayerInputException>(() => BatchApply.Call(h => Hk.Pure(h), ones(3)));
        Assert.Contains("needs at least one input with 2 or more axes, got shapes (3,)", none.Message);
        var differ = Assert.Throws<LayerInputException>(() => BatchApply.Call(xs => Hk.Pure(xs[0]), [ones(2, 3, 1), ones(3, 2, 1)]));
        Assert.Contains("input 1 has leading axes (3, 2), but input 0 has (2, 3)", differ.Message);
        var output = Assert.Throws<LayerInputException>(() =>
            Hk.Transform((Tensor v) => BatchApply.Call(h => Hk.Pure(h.sum(0)), v)).Apply(Params.Empty, ones(2, 3, 4)));
        Assert.Contains("merged size 6", output.Message);
        Assert.Throws<LayerConfigurationException>(() => BatchApply.Call(h => Hk.Pure(h), ones(2, 2), numDims: 0));
    }

    [Fact]
    public void GradientsThroughBatchApplyMatchFiniteDifferences()
    {
        var xs = Random(6, 2, 3, 4);
        var f = Hk.Transform((Tensor v) => BatchApply.Call(h => Linear.Create(2).Call(h), v));
        var p = f.Init(0, xs).With("~/Linear_0/__call__/b", Random(7, 2));
        var r = Random(8, 2, 3, 2);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, xs).tanh() * r).sum());
    }
}
