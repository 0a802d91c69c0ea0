using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class EMAParamsTreeTests
{
    private static readonly Params Tree = Params.Create([
        KeyValuePair.Create("~/Linear_0/__call__/w", tensor(new[] { 1.0, 2.0 })),
        KeyValuePair.Create("~/Linear_0/__call__/b", tensor(new[] { 3.0 })),
    ]);

    private static TransformedWithState<Params, Params> Averager(string ignore = "") =>
        Hk.TransformWithState((Params p) =>
            from ema in EMAParamsTree.Create(0.5, ignoreRegex: ignore)
            from averaged in ema.Call(p)
            select averaged);

    [Fact]
    public void EachPathGetsAMovingAverageNamedLikeHaikus()
    {
        var f = Averager();
        var (_, state) = f.Init(0, Tree);
        Assert.Contains("~/EMAParamsTree_0/__call__/_tilde___Linear_0____call____w/__call__/hidden", state.Keys);
        Assert.Equal(6, state.Count);   // counter, hidden, average for w and b
        (var first, state) = f.Apply(Params.Empty, state, Tree);
        var doubled = Tree.Map(t => t * 2);
        (var second, _) = f.Apply(Params.Empty, state, doubled);
        Assert.True(first["~/Linear_0/__call__/w"].allclose(Tree["~/Linear_0/__call__/w"]), "debiased: the first average is the value");
        // (0.5·0.5·w + 0.5·2w) / 0.75 = 5w/3
        Assert.True(second["~/Linear_0/__call__/w"].allclose(Tree["~/Linear_0/__call__/w"] * 5.0 / 3.0));
        Assert.True(second["~/Linear_0/__call__/b"].allclose(tensor(new[] { 5.0 })));
    }

    [Fact]
    public void IgnoredPathsPassThroughWithoutState()
    {
        var f = Averager(ignore: ".*/b$");
        var (_, state) = f.Init(0, Tree);
        Assert.Equal(3, state.Count);
        Assert.DoesNotContain(state.Keys, k => k.Contains("____b"));
        (_, state) = f.Apply(Params.Empty, state, Tree);
        var (second, _) = f.Apply(Params.Empty, state, Tree.Map(t => t * 2));
        Assert.True(second["~/Linear_0/__call__/b"].equal(tensor(new[] { 6.0 })).all().item<bool>());
        Assert.Throws<LayerConfigurationException>(() => Averager(ignore: "(").Init(0, Tree));
    }

    [Fact]
    public void GradientsThroughTheAveragesMatchFiniteDifferences()
    {
        var f = Hk.TransformWithState((Tensor x) =>
            from w in Hk.GetParam("w", [2, 2], Initializers.RandomNormal(), ScalarType.Float64)
            from ema in EMAParamsTree.Create(0.9)
            from first in ema.Call(Params.Empty.With("w", w))
            from second in ema.Call(Params.Empty.With("w", w.square()))
            select x.matmul(second["w"]));
        var x = Random(3, 2, 2);
        var (p, state) = f.Init(0, x);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, state, x).Output * Random(4, 2, 2)).sum());
    }
}
