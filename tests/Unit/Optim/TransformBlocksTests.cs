using MiniHaiku.Optim;

namespace MiniHaiku.Tests.Optim;

/// <summary>Each Optax building block against its update rule, computed independently here in float64.</summary>
public class TransformBlocksTests
{
    private static Params P(params (string Key, double[] Values)[] entries) =>
        Params.Create(entries.Select(e => new KeyValuePair<string, Tensor>(e.Key, torch.tensor(e.Values, float64))));

    private static Params P(string key, Tensor t) => Params.Create([new(key, t)]);

    private static double[] V(Tensor t) => t.to_type(float64).data<double>().ToArray();

    private static void Close(double[] expected, Tensor actual, double tol = 1e-12)
    {
        var a = V(actual);
        Assert.Equal(expected.Length, a.Length);
        for (var i = 0; i < a.Length; i++) Assert.True(expected[i].Equals(a[i]) || Math.Abs(expected[i] - a[i]) <= tol * (1 + Math.Abs(expected[i])), $"[{i}]: expected {expected[i]}, got {a[i]}");
    }

    [Fact]
    public void IdentityPassesUpdatesThroughAndKeepsTheState()
    {
        var g = P(("~/w", [1.0, -2.0]));
        var t = Optimizers.Identity();
        var s = t.Init(g);
        var (u, s2) = t.Update(g, s);
        Assert.Same(g["~/w"], u["~/w"]);
        Assert.Same(s, s2);
    }

    [Fact]
    public void TraceIsOptaxMomentumWithAndWithoutNesterov()
    {
        var g1 = P(("~/w", [1.0, 2.0]));
        var g2 = P(("~/w", [3.0, -1.0]));
        foreach (var nesterov in new[] { false, true })
        {
            var t = Optimizers.Trace(0.5, nesterov);
            var s = t.Init(g1);
            (_, s) = t.Update(g1, s);
            var (u, _) = t.Update(g2, s);
            // trace1 = g1, trace2 = g2 + 0.5 g1 = [3.5, 0]; nesterov: g2 + 0.5 trace2 = [4.75, -1]
            Close(nesterov ? [4.75, -1.0] : [3.5, 0.0], u["~/w"]);
        }
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void ScaleByStddevFollowsItsRule(bool epsInSqrt, bool biasCorrection)
    {
        const double decay = 0.8, eps = 1e-3, init = 0.1;
        var grads = new[] { new[] { 1.0, -2.0 }, new[] { 0.5, 3.0 }, new[] { -1.0, 1.0 } };
        var t = Optimizers.ScaleByStddev(decay, eps, init, epsInSqrt, biasCorrection);
        var s = t.Init(P(("~/w", [0.0, 0.0])));
        double[] mu = [0, 0], nu = [init, init];
        for (var step = 1; step <= grads.Length; step++)
        {
            Params u;
            (u, s) = t.Update(P(("~/w", grads[step - 1])), s);
            var expected = new double[2];
            for (var i = 0; i < 2; i++)
            {
                var g = grads[step - 1][i];
                mu[i] = decay * mu[i] + (1 - decay) * g;
                nu[i] = decay * nu[i] + (1 - decay) * g * g;
                var c = biasCorrection ? 1 - Math.Pow(decay, step) : 1;
                var variance = nu[i] / c - (mu[i] / c) * (mu[i] / c);
                expected[i] = g / (epsInSqrt ? Math.Sqrt(variance + eps) : Math.Sqrt(variance) + eps);
            }
            Close(expected, u["~/w"], 1e-10);
        }
    }

    [Fact]
    public void ScaleByScheduleMultipliesByTheScheduleAtItsOwnCount()
    {
        var t = Optimizers.ScaleBySchedule(new Schedule(c => c + 2.0));
        var g = P(("~/w", [1.0, -3.0]));
        var s = t.Init(g);
        Params u;
        (u, s) = t.Update(g, s);
        Close([2.0, -6.0], u["~/w"]);
        (u, s) = t.Update(g, s);
        Close([3.0, -9.0], u["~/w"]);
        Assert.Equal(2, s.Count);
    }

    [Fact]
    public void AddNoiseHasTheAnnealedVarianceAndIsReproducible()
    {
        const double eta = 0.5, gamma = 0.55;
        var g = P("~/w", torch.zeros(200_000, float64));
        var t = Optimizers.AddNoise(eta, gamma, seed: 3);
        var s = t.Init(g);
        var (u1, s1) = t.Update(g, s);
        var (u2, _) = t.Update(g, s1);
        Assert.Equal(eta, u1["~/w"].var().item<double>(), 2);
        Assert.Equal(eta / Math.Pow(2, gamma), u2["~/w"].var().item<double>(), 2);
        Assert.True(t.Update(g, s).Updates["~/w"].Equals(u1["~/w"]), "same key and count, same noise");
        Assert.False(u1["~/w"].Equals(u2["~/w"]), "each step draws new noise");
        Assert.False(Optimizers.AddNoise(eta, gamma, seed: 4).Update(g, s).Updates["~/w"].Equals(u1["~/w"]));
    }

    [Fact]
    public void CentralizeSubtractsTheMeanOverAllButTheFirstAxis()
    {
        var w = torch.tensor(new[] { 1.0, 2.0, 3.0, 10.0, 20.0, 60.0 }, float64).reshape(2, 3);
        var b = torch.tensor(new[] { 1.0, 5.0 }, float64);
        var t = Optimizers.Centralize();
        var g = Params.Create([new("~/w", w), new("~/b", b)]);
        var (u, _) = t.Update(g, t.Init(g));
        Close([-1, 0, 1, -20, -10, 30], u["~/w"]);
        Close([1, 5], u["~/b"]);
    }

    [Fact]
    public void ScaleGradientIsTheIdentityForwardAndScalesTheGradient()
    {
        var x = torch.tensor(new[] { 1.0, -2.0, 3.0 }, float64, requires_grad: true);
        var y = Optimizers.ScaleGradient(x, 0.25);
        Assert.True(y.Equals(x.detach()));
        y.square().sum().backward();
        Close([0.5, -1.0, 1.5], x.grad!);
    }

    [Fact]
    public void ClipClampsEveryElement()
    {
        var t = Optimizers.Clip(1.5);
        var g = P(("~/w", [-3.0, -1.0, 0.5, 2.0]));
        Close([-1.5, -1.0, 0.5, 1.5], t.Update(g, t.Init(g)).Updates["~/w"]);
        Assert.Throws<OptimizerConfigurationException>(() => Optimizers.Clip(-1));
    }

    [Fact]
    public void ClipByBlockRmsRescalesOnlyTensorsAboveTheThreshold()
    {
        var t = Optimizers.ClipByBlockRms(1.0);
        var g = P(("~/big", [3.0, 4.0]), ("~/small", [0.5, -0.5]));
        var (u, _) = t.Update(g, t.Init(g));
        var rms = Math.Sqrt((9 + 16) / 2.0);
        Close([3 / rms, 4 / rms], u["~/big"]);
        Close([0.5, -0.5], u["~/small"]);
    }

    [Fact]
    public void AdaptiveGradClipClipsEachColumnRelativeToItsParameterNorm()
    {
        // [in=2, out=2] weight: units are the columns (Optax's IO layout).
        var w = torch.tensor(new[] { 3.0, 0.0, 4.0, 0.0 }, float64).reshape(2, 2); // column norms 5 and 0
        var gw = torch.tensor(new[] { 6.0, 1.0, 8.0, 0.0 }, float64).reshape(2, 2); // column norms 10 and 1
        var p = P("~/w", w);
        var g = P("~/w", gw);
        var t = Optimizers.AdaptiveGradClip(0.1, eps: 1e-3);
        var (u, _) = t.Update(g, t.Init(p), p);
        // column 0: max norm 0.1·5 = 0.5 < 10 → scaled by 0.05; column 1: max 0.1·1e-3 → scaled by 1e-4.
        Close([0.3, 1e-4, 0.4, 0.0], u["~/w"]);
        // A unit below its bound is unchanged.
        var (u2, _) = Optimizers.AdaptiveGradClip(10).Update(P("~/b", torch.tensor(new[] { 1.0, 1.0 }, float64)), OptState.Empty, P("~/b", torch.tensor(new[] { 1.0, 0.0 }, float64)));
        Close([1.0, 1.0], u2["~/b"]);
        Assert.ThrowsAny<MiniHaikuException>(() => t.Update(g, OptState.Empty));
    }

    [Fact]
    public void KeepParamsNonnegativeStopsAtZero()
    {
        var p = P(("~/w", [1.0, 2.0, 0.5]));
        var g = P(("~/w", [-3.0, 1.0, -0.5]));
        var t = Optimizers.KeepParamsNonnegative();
        var (u, _) = t.Update(g, t.Init(p), p);
        Close([-1.0, 1.0, -0.5], u["~/w"]);
        Close([0.0, 3.0, 0.0], p.ApplyUpdates(u)["~/w"]);
    }

    [Fact]
    public void ZeroNansZeroesNansAndRecordsWhere()
    {
        var g = P(("~/a", [1.0, double.NaN, double.PositiveInfinity]), ("~/b", [2.0]));
        var t = Optimizers.ZeroNans();
        var s = t.Init(g);
        Assert.False(s.Slot("found_nan")["~/a"].item<bool>());
        var (u, s2) = t.Update(g, s);
        Close([1.0, 0.0, double.PositiveInfinity], u["~/a"]);
        Assert.True(s2.Slot("found_nan")["~/a"].item<bool>());
        Assert.False(s2.Slot("found_nan")["~/b"].item<bool>());
    }
}
