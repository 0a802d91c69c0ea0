using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class SpectralNormTests
{
    private const string P = "~/SpectralNorm_0/__call__/";

    private static TransformedWithState<Tensor, Tensor> Sn(int steps = 1, bool updateStats = true, double eps = 1e-4) =>
        Hk.TransformWithState((Tensor w) =>
            from sn in SpectralNorm.Create(eps, steps)
            from normalized in sn.Call(w, updateStats)
            select normalized);

    [Fact]
    public void OnePowerIterationStepMatchesTheHandComputedValues()
    {
        var w = tensor(new[] { 1.0, 2.0, 3.0, 4.0 }).reshape(2, 2);
        var f = Sn();
        var (_, state) = f.Init(0, w);
        Assert.Equal([1L, 2], state[P + "u0"].shape);
        state = state.With(P + "u0", tensor(new[] { 1.0, 0.0 }).reshape(1, 2));
        var (y, next) = f.Apply(Params.Empty, state, w);

        // v = u·Wᵀ = (1, 3) / √(10 + 1e-4); u = v·W = (10, 14) / √10.0001, normalised by √(296/10.0001 + 1e-4).
        const double eps = 1e-4;
        double n1 = Math.Sqrt(10 + eps);
        double[] v = [1 / n1, 3 / n1];
        double[] uRaw = [v[0] * 1 + v[1] * 3, v[0] * 2 + v[1] * 4];
        var n2 = Math.Sqrt(uRaw[0] * uRaw[0] + uRaw[1] * uRaw[1] + eps);
        double[] u = [uRaw[0] / n2, uRaw[1] / n2];
        var sigma = v[0] * (1 * u[0] + 2 * u[1]) + v[1] * (3 * u[0] + 4 * u[1]);
        Assert.Equal(sigma, next[P + "sigma"].item<double>(), 12);
        Assert.Equal(u[1], next[P + "u0"][0, 1].item<double>(), 12);
        AssertClose(w / sigma, y);
    }

    [Fact]
    public void ManyStepsConvergeToTheLargestSingularValueForHigherRankWeightsToo()
    {
        var w = Random(1, 2, 3, 4);
        var f = Sn(steps: 100, eps: 1e-14);   // Haiku's eps = 1e-4 under the root biases the estimate by ~eps/2
        var (_, state) = f.Init(0, w);
        var (y, next) = f.Apply(Params.Empty, state, w);
        var expected = torch.linalg.svdvals(w.reshape(6, 4))[0].item<double>();
        Assert.Equal(expected, next[P + "sigma"].item<double>(), 9);
        var (_, withDefaultEps) = Sn(steps: 100).Apply(Params.Empty, state, w);
        Assert.True(Math.Abs(withDefaultEps[P + "sigma"].item<double>() / expected - 1) < 1e-4);
        Assert.Equal([2L, 3, 4], y.shape);
        Assert.Equal(1.0, torch.linalg.svdvals(y.reshape(6, 4))[0].item<double>(), 9);
    }

    [Fact]
    public void UpdateStatsFalseKeepsTheStateAndVectorsAreRejected()
    {
        var w = Random(2, 3, 2);
        var (_, state) = Sn().Init(0, w);
        var (_, same) = Sn(updateStats: false).Apply(Params.Empty, state, w);
        Assert.True(same[P + "u0"].equal(state[P + "u0"]).all().item<bool>());
        Assert.True(same[P + "sigma"].equal(state[P + "sigma"]).all().item<bool>());
        var e = Assert.Throws<LayerInputException>(() => Sn().Init(0, Random(3, 4)));
        Assert.Contains("~/SpectralNorm_0", e.Message);
        Assert.Throws<LayerInputException>(() =>
            Hk.TransformWithState((Tensor t) => SpectralNorm.Create().SelectMany(sn => sn.Call(t, errorOnNonMatrix: true))).Init(0, Random(4, 2, 2, 2)));
    }

    [Fact]
    public void GradientsThroughAConvergedNormalisationMatchFiniteDifferences()
    {
        // u and v are constants for autograd; once converged they are stationary, so the total derivative agrees.
        var x = Random(5, 2, 3);
        var f = Hk.TransformWithState((Tensor input) =>
            from w in Hk.GetParam("w", [3, 2], Initializers.RandomNormal(), ScalarType.Float64)
            from sn in SpectralNorm.Create(nSteps: 200)
            from wBar in sn.Call(w)
            select input.matmul(wBar));
        var (p, state) = f.Init(0, x);
        var r = Random(6, 2, 2);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, state, x).Output * r).sum(), tolerance: 1e-5);
    }
}
