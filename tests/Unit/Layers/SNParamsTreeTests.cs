using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class SNParamsTreeTests
{
    private static readonly Params Tree = Params.Create([
        KeyValuePair.Create("~/Linear_0/__call__/w", Random(1, 3, 2)),
        KeyValuePair.Create("~/Linear_0/__call__/b", Random(2, 2)),
    ]);

    [Fact]
    public void EveryMatrixIsNormalisedUnderHaikusNameAndIgnoredPathsPassThrough()
    {
        var f = Hk.TransformWithState((Params p) =>
            from sn in SNParamsTree.Create(eps: 1e-14, nSteps: 100, ignoreRegex: ".*/b$")
            from normalized in sn.Call(p)
            select normalized);
        var (_, state) = f.Init(0, Tree);
        Assert.Equal(
            ["~/SNParamsTree_0/__call__/_tilde__Linear_0____call____w/__call__/sigma", "~/SNParamsTree_0/__call__/_tilde__Linear_0____call____w/__call__/u0"],
            state.Keys.ToArray());
        var (y, _) = f.Apply(Params.Empty, state, Tree);
        Assert.Same(Tree["~/Linear_0/__call__/b"], y["~/Linear_0/__call__/b"]);
        Assert.Equal(1.0, torch.linalg.svdvals(y["~/Linear_0/__call__/w"])[0].item<double>(), 9);
    }

    [Fact]
    public void AVectorThatIsNotIgnoredIsALayerInputException()
    {
        var f = Hk.TransformWithState((Params p) => SNParamsTree.Create().SelectMany(sn => sn.Call(p)));
        var e = Assert.Throws<LayerInputException>(() => f.Init(0, Tree));
        Assert.Contains("_tilde__Linear_0____call____b", e.Message);
    }

    [Fact]
    public void GradientsThroughAConvergedTreeNormalisationMatchFiniteDifferences()
    {
        var f = Hk.TransformWithState((Tensor x) =>
            from w in Hk.GetParam("w", [3, 2], Initializers.RandomNormal(), ScalarType.Float64)
            from sn in SNParamsTree.Create(nSteps: 200)
            from normalized in sn.Call(Params.Empty.With("w", w))
            select x.matmul(normalized["w"]));
        var x = Random(5, 2, 3);
        var (p, state) = f.Init(0, x);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, state, x).Output * Random(6, 2, 2)).sum(), tolerance: 1e-5);
    }
}
