using MiniHaiku.Optim;

namespace MiniHaiku.Tests.Optim;

/// <summary>Optax's wrappers, step by step on small float64 problems with hand-computed expectations.</summary>
public class WrappersTests
{
    private static Params P(params (string Key, double[] Values)[] entries) =>
        Params.Create(entries.Select(e => new KeyValuePair<string, Tensor>(e.Key, torch.tensor(e.Values, float64))));

    private static Params W(params double[] values) => P(("~/w", values));

    private static double[] V(Params p, string key = "~/w") => p[key].data<double>().ToArray();

    private static void Close(double[] expected, double[] actual, double tol = 1e-12)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < actual.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * (1 + Math.Abs(expected[i])), $"[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    [Fact]
    public void MultiStepsEmitsZerosThenTheInnerUpdateOfTheMean()
    {
        var opt = Optimizers.MultiSteps(Optimizers.Sgd(1.0), 3);
        var s = opt.Init(W(0, 0));
        Params u;
        (u, s) = opt.Update(W(1, 2), s);
        Close([0, 0], V(u));
        Assert.False(Optimizers.MultiStepsHasUpdated(s));
        (u, s) = opt.Update(W(3, 4), s);
        Close([0, 0], V(u));
        (u, s) = opt.Update(W(5, 0), s);
        Close([-3, -2], V(u));
        Assert.True(Optimizers.MultiStepsHasUpdated(s));
        Assert.Equal(0, s.Number("mini_step"));
        Assert.Equal(1, s.Number("gradient_step"));
        Close([0, 0], V(s.Slot("acc_grads")));
    }

    [Fact]
    public void MultiStepsSumsWithoutGradMeanAndFollowsAScheduleOfK()
    {
        var opt = Optimizers.MultiSteps(Optimizers.Sgd(1.0), step => step == 0 ? 1 : 2, useGradMean: false);
        var s = opt.Init(W(0));
        Params u;
        (u, s) = opt.Update(W(1), s); // k = 1: immediate
        Close([-1], V(u));
        (u, s) = opt.Update(W(2), s); // k = 2 from now on
        Close([0], V(u));
        (u, _) = opt.Update(W(4), s);
        Close([-6], V(u));
    }

    [Fact]
    public void MultiStepsSkipsMiniStepsThePredicateRejects()
    {
        var opt = Optimizers.MultiSteps(Optimizers.Sgd(1.0), 2, shouldSkipUpdateFn: Optimizers.SkipNotFinite);
        var s = opt.Init(W(0));
        Params u;
        (u, s) = opt.Update(W(2), s);
        (u, s) = opt.Update(W(double.NaN), s);
        Close([0], V(u));
        Assert.Equal(1, s.Number("mini_step"));
        (u, _) = opt.Update(W(4), s);
        Close([-3], V(u));

        var large = Optimizers.SkipLargeUpdates(4.0);
        Assert.True(large(W(2), 0, null));
        Assert.False(large(W(1.9), 0, null));
        Assert.True(large(W(double.NaN), 0, null));
    }

    [Fact]
    public void ApplyEveryEmitsTheSumEveryKSteps()
    {
        var t = Optimizers.ApplyEvery(2);
        var s = t.Init(W(0));
        Params u;
        (u, s) = t.Update(W(1), s);
        Close([0], V(u));
        (u, s) = t.Update(W(2), s);
        Close([3], V(u));
        (u, s) = t.Update(W(5), s);
        Close([0], V(u));
        (u, _) = t.Update(W(1), s);
        Close([6], V(u));
    }

    [Fact]
    public void ApplyIfFiniteSkipsNonFiniteStepsAndCountsThem()
    {
        var opt = Optimizers.ApplyIfFinite(Optimizers.Sgd(1.0, momentum: 0.5), maxConsecutiveErrors: 1);
        var s = opt.Init(W(0));
        Params u;
        (u, s) = opt.Update(W(2), s);
        Close([-2], V(u));
        (u, s) = opt.Update(W(double.NaN), s);
        Close([0], V(u));
        Assert.Equal((1.0, 0.0, 1.0), (s.Number("notfinite_count"), s.Number("last_finite"), s.Number("total_notfinite")));
        Close([2], V(s.Inner[0].Inner[0].Slot("trace")));
        (u, s) = opt.Update(W(double.PositiveInfinity), s); // second in a row > maxConsecutiveErrors: applied
        Assert.True(double.IsInfinity(V(u)[0]));
        Assert.Equal(2, s.Number("notfinite_count"));
        (u, s) = opt.Update(W(1), s);
        Assert.Equal((0.0, 1.0, 2.0), (s.Number("notfinite_count"), s.Number("last_finite"), s.Number("total_notfinite")));
    }

    [Fact]
    public void ConditionallyMaskAndTransformCallTheInnerOnlyWhenAsked()
    {
        var mask = Optimizers.ConditionallyMask(Optimizers.Sgd(1.0, momentum: 0.5), step => step % 2 == 1);
        var s = mask.Init(W(0));
        Params u;
        (u, s) = mask.Update(W(4), s);
        Close([0], V(u));
        (u, s) = mask.Update(W(2), s);
        Close([-2], V(u)); // the inner state had not seen the skipped step
        Assert.Equal(2, s.Number("step"));

        var transform = Optimizers.ConditionallyTransform(Optimizers.Scale(10), step => step == 0);
        var ts = transform.Init(W(0));
        (u, ts) = transform.Update(W(1), ts);
        Close([10], V(u));
        (u, _) = transform.Update(W(1), ts);
        Close([1], V(u));
    }

    [Fact]
    public void InjectHyperparamsStoresValuesThatCanBeChangedBetweenSteps()
    {
        var opt = Optimizers.InjectHyperparams(
            h => Optimizers.Sgd(h["learning_rate"], momentum: h["momentum"]),
            new Dictionary<string, double> { ["learning_rate"] = 0.1 },
            new Dictionary<string, Schedule> { ["momentum"] = new Schedule(c => c == 0 ? 0.5 : 0.25) });
        var s = opt.Init(W(0));
        Assert.Equal(0.1, s.Number("learning_rate"));
        Assert.Equal(0.5, s.Number("momentum"));
        Params u;
        (u, s) = opt.Update(W(1), s);
        Close([-0.1], V(u));
        s = s.WithNumber("learning_rate", 1.0);
        (u, s) = opt.Update(W(1), s); // trace = 1 + 0.25·1
        Close([-1.25], V(u));
        Assert.Equal(1.0, s.Number("learning_rate"));
        Assert.Equal(0.25, s.Number("momentum"));
        Assert.Throws<OptimizerConfigurationException>(() => Optimizers.InjectHyperparams(h => Optimizers.Sgd(h["lr"]),
            new Dictionary<string, double> { ["lr"] = 1 }, new Dictionary<string, Schedule> { ["lr"] = 1.0 }));
    }

    [Fact]
    public void MultiTransformUpdatesEachLabelWithItsOwnOptimizer()
    {
        var p = P(("~/a/w", [1.0]), ("~/a/b", [1.0]), ("~/c/w", [1.0]));
        var opt = Optimizers.MultiTransform(
            new Dictionary<string, GradientTransformation> { ["sgd"] = Optimizers.Sgd(0.5), ["frozen"] = Optimizers.SetToZero(), ["adam"] = Optimizers.Adam(0.1) },
            path => path.EndsWith("/b", StringComparison.Ordinal) ? "frozen" : path.StartsWith("~/a", StringComparison.Ordinal) ? "sgd" : "adam");
        var s = opt.Init(p);
        Assert.Equal(["adam", "frozen", "sgd"], s.InnerNames);
        var (u, s2) = opt.Update(P(("~/a/w", [2.0]), ("~/a/b", [2.0]), ("~/c/w", [2.0])), s, p);
        Close([-1.0], V(u, "~/a/w"));
        Close([0.0], V(u, "~/a/b"));
        Close([-0.1], V(u, "~/c/w"), 1e-7); // Adam's first step is lr·sign(g)
        Assert.Equal(["~/c/w"], s2.InnerState("adam").Inner[0].Slot("mu").Keys);
        Assert.ThrowsAny<MiniHaikuException>(() => s2.InnerState("nope"));
        var bad = Optimizers.Partition(new Dictionary<string, GradientTransformation> { ["sgd"] = Optimizers.Sgd(1) }, _ => "other");
        var e = Assert.ThrowsAny<MiniHaikuException>(() => bad.Init(p));
        Assert.Contains("'other'", e.Message);
        Assert.Contains("~/a/b", e.Message);
    }

    [Fact]
    public void NamedChainNamesItsInnerStatesAndRejectsDuplicates()
    {
        var opt = Optimizers.NamedChain(("clip", Optimizers.Clip(1)), ("momentum", Optimizers.Trace(0.5)), ("lr", Optimizers.ScaleByLearningRate(0.1)));
        var s = opt.Init(W(0));
        Params u;
        (u, s) = opt.Update(W(3), s);
        Close([-0.1], V(u));
        Close([1], V(s.InnerState("momentum").Slot("trace")));
        Assert.Equal(["clip", "momentum", "lr"], s.InnerNames);
        Assert.Throws<OptimizerConfigurationException>(() => Optimizers.NamedChain(("a", Optimizers.Identity()), ("a", Optimizers.Identity())));
    }

    [Fact]
    public void LookaheadPullsTheSlowWeightsAndResetsTheFastOnesEverySyncPeriod()
    {
        var opt = Optimizers.Lookahead(Optimizers.Sgd(1.0), syncPeriod: 2, slowStepSize: 0.5);
        var p = W(0);
        var s = opt.Init(p);
        Params u;
        (u, s) = opt.Update(W(-1), s, p); // fast: 0 → 1
        p = p.ApplyUpdates(u);
        Close([1], V(p));
        (u, s) = opt.Update(W(-3), s, p); // fast would be 4; slow = 0 + 0.5·(4 − 0) = 2; fast reset to 2
        p = p.ApplyUpdates(u);
        Close([2], V(p));
        Close([2], V(Optimizers.LookaheadSlowParams(s)));
        Assert.Equal(0, s.Number("steps_since_sync"));
        Assert.ThrowsAny<MiniHaikuException>(() => opt.Update(W(1), s));
        Assert.Throws<OptimizerConfigurationException>(() => Optimizers.Lookahead(Optimizers.Sgd(1), 0, 0.5));
    }

    [Fact]
    public void EmaAveragesTheUpdatesWithAndWithoutDebiasing()
    {
        foreach (var debias in new[] { true, false })
        {
            var t = Optimizers.Ema(0.5, debias);
            var s = t.Init(W(0));
            Params u;
            (u, s) = t.Update(W(4), s); // ema = 2
            Close([debias ? 4 : 2], V(u));
            (u, s) = t.Update(W(8), s); // ema = 1 + 4 = 5; debiased 5 / 0.75
            Close([debias ? 5 / 0.75 : 5], V(u));
            Close([5], V(s.Slot("ema")));
        }
    }

    [Fact]
    public void IncrementalAndPeriodicUpdateBlendOrPickTargets()
    {
        var next = W(10, 20);
        var old = W(0, 4);
        Close([1, 5.6], V(Optimizers.IncrementalUpdate(next, old, 0.1)));
        Assert.Same(next, Optimizers.PeriodicUpdate(next, old, 6, 3));
        Assert.Same(old, Optimizers.PeriodicUpdate(next, old, 7, 3));
    }

    [Fact]
    public void FlattenGivesTheSameUpdatesAsTheUnflattenedOptimizer()
    {
        var p = Params.Create([new("~/a", torch.tensor(new[] { 1.0, 2, 3, 4 }, float64).reshape(2, 2)), new("~/b", torch.tensor(new[] { 0.5f }))]);
        var g = Params.Create([new("~/a", torch.tensor(new[] { 0.1, -0.2, 0.3, 0.0 }, float64).reshape(2, 2)), new("~/b", torch.tensor(new[] { -1f }))]);
        var flat = Optimizers.Flatten(Optimizers.Adam(0.1));
        var plain = Optimizers.Adam(0.1);
        var (fs, ps) = (flat.Init(p), plain.Init(p));
        Assert.Equal(["flat"], fs.Inner[0].Slot("mu").Keys);
        for (var i = 0; i < 3; i++)
        {
            Params fu, pu;
            (fu, fs) = flat.Update(g, fs, p);
            (pu, ps) = plain.Update(g, ps, p);
            Assert.Equal(float32, fu["~/b"].dtype);
            Assert.Equal([2L, 2], fu["~/a"].shape);
            Assert.True(fu["~/a"].allclose(pu["~/a"], 1e-12, 1e-12));
            Assert.True(fu["~/b"].allclose(pu["~/b"], 1e-6, 1e-7));
        }
    }

    [Fact]
    public void ReduceOnPlateauScalesDownAfterPatienceAndCoolsDown()
    {
        var t = Optimizers.ReduceOnPlateau(factor: 0.5, patience: 2, cooldown: 1);
        var s = t.Init(W(0));
        var scales = new List<double>();
        foreach (var loss in new[] { 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5 })
        {
            Params u;
            (u, s) = t.Update(W(2), s, null, loss);
            scales.Add(V(u)[0] / 2);
        }
        // 1 improves on +inf; two plateaus → ×0.5; one cooldown step; two plateaus → ×0.5; 0.5 improves.
        Assert.Equal([1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25], scales);
        Assert.Equal(0.5, s.Number("best_value"));
        var e = Assert.ThrowsAny<MiniHaikuException>(() => t.Update(W(1), s));
        Assert.Contains("value", e.Message);
    }

    [Fact]
    public void ReduceOnPlateauAveragesOverTheAccumulationSize()
    {
        var t = Optimizers.ReduceOnPlateau(factor: 0.1, patience: 1, accumulationSize: 2);
        var s = t.Init(W(0));
        (_, s) = t.Update(W(1), s, null, 3.0);
        Assert.Equal(3.0, s.Number("avg_value"));
        Assert.Equal(double.PositiveInfinity, s.Number("best_value"));
        (_, s) = t.Update(W(1), s, null, 1.0);
        Assert.Equal(2.0, s.Number("best_value"));
        Assert.Equal(0, s.Number("count"));
    }

    [Fact]
    public void ExtraArgsReachTransformationsInsideChainMaskedAndWrappers()
    {
        var opt = Optimizers.Chain(
            Optimizers.Masked(Optimizers.ApplyIfFinite(Optimizers.ReduceOnPlateau(factor: 0.5, patience: 1), 0), path => path == "~/w"),
            Optimizers.Sgd(1.0));
        var p = P(("~/w", [0.0]), ("~/b", [0.0]));
        var g = P(("~/w", [1.0]), ("~/b", [1.0]));
        var s = opt.Init(p);
        Params u = Params.Empty;
        foreach (var loss in new[] { 1.0, 1.0 }) (u, s) = opt.Update(g, s, p, new UpdateExtraArgs(loss));
        Close([-0.5], V(u, "~/w"));
        Close([-1.0], V(u, "~/b"));
        Assert.ThrowsAny<MiniHaikuException>(() => opt.Update(g, s, p));
    }
}
