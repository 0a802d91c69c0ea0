using System.Collections.Immutable;
using MiniHaiku.Tests.Support;

namespace MiniHaiku.Tests;

/// <summary>Hk.Cond, Switch, Scan, Repeat, Fold, Aggregate, Sequence, Lift and RunningInit.</summary>
public class HkControlTests
{
    private static Model<Tensor> Dense(Tensor x, int width) => from l in Linear.Create(width) from y in l.Call(x) select y;

    [Fact]
    public void CondInitCreatesBothBranchesAndApplyRunsOnlyTheChosenOne()
    {
        var ran = new List<string>();
        Model<Tensor> Traced(string tag, Model<Tensor> m) => Hk.Pure(0).SelectMany(_ => { ran.Add(tag); return m; });
        var f = Hk.Transform(((Tensor X, bool P) i) =>
            Hk.Cond(i.P, Traced("true", Dense(i.X, 2)), Traced("false", Dense(i.X, 3))));
        var p = f.Init(0, (ones(1, 4), true));
        Assert.Equal(["~/Cond_0/when_false/Linear_0/__call__/W", "~/Cond_0/when_false/Linear_0/__call__/b",
                      "~/Cond_0/when_true/Linear_0/__call__/W", "~/Cond_0/when_true/Linear_0/__call__/b"], p.Keys);
        Assert.Equal(["true", "false"], ran);
        ran.Clear();
        // Init returns the chosen branch's value.
        var (initValue, _) = f.Function((ones(1, 4), false)).Run(Frame.ForInit(0));
        Assert.Equal([1L, 3L], initValue.shape);
        ran.Clear();
        Assert.Equal([1L, 3L], f.Apply(p, (ones(1, 4), false)).shape);
        Assert.Equal(["false"], ran);
        ran.Clear();
        Assert.Equal([1L, 2L], f.Apply(p, (ones(1, 4), true)).shape);
        Assert.Equal(["true"], ran);
    }

    [Fact]
    public void CondTakesAOneElementTensorPredicate()
    {
        var f = Hk.Transform((Tensor pred) => Hk.Cond(pred, Hk.Pure("yes"), Hk.Pure("no")));
        Assert.Equal("yes", f.Apply(Params.Empty, torch.tensor(true)));
        Assert.Equal("no", f.Apply(Params.Empty, torch.tensor(0f)));
        Assert.Equal("yes", f.Apply(Params.Empty, torch.tensor(new[] { 2 })));
        var e = Assert.Throws<ModelUsageException>(() => f.Apply(Params.Empty, torch.tensor(new[] { 1, 0 })));
        Assert.Equal("Hk.Cond needs a predicate with exactly one element, got shape (2,).", e.Message);
    }

    [Fact]
    public void SwitchInitCreatesEveryBranchAndApplyReadsOnlyTheChosenOne()
    {
        Model<Tensor> M(int index, Tensor x) => Hk.Switch(index, [Dense(x, 1), Dense(x, 2), Hk.Pure(x)]);
        var f = Hk.Transform(((Tensor X, int I) i) => M(i.I, i.X));
        var p = f.Init(0, (ones(1, 3), 2));
        Assert.Equal(["~/Switch_0/case_0/Linear_0/__call__/W", "~/Switch_0/case_0/Linear_0/__call__/b",
                      "~/Switch_0/case_1/Linear_0/__call__/W", "~/Switch_0/case_1/Linear_0/__call__/b"], p.Keys);
        Assert.Equal([1L, 2L], f.Apply(p, (ones(1, 3), 1)).shape);
        var (_, frame) = M(1, ones(1, 3)).Run(Frame.ForApply(p));
        Assert.Equal(["~/Switch_0/case_1/Linear_0/__call__/W", "~/Switch_0/case_1/Linear_0/__call__/b"], frame.ReadParams.Order(StringComparer.Ordinal));
        Assert.True(frame.SkippedBranches);
        // The untaken branches' parameters are legitimately unread: the unused-parameter check skips them (ApplyChecks).
        Assert.True(f.Apply(p, (ones(1, 3), 2)).Equals(ones(1, 3)));
    }

    [Fact]
    public void SwitchErrors()
    {
        var e = Assert.Throws<ModelUsageException>(() => Hk.Switch(3, [Hk.Pure(1), Hk.Pure(2)]));
        Assert.Equal("Hk.Switch index 3 is out of range: there are 2 branches (0..1).", e.Message);
        Assert.Throws<ModelUsageException>(() => Hk.Switch(-1, [Hk.Pure(1)]));
        Assert.Equal("Hk.Switch needs at least one branch.", Assert.Throws<ModelUsageException>(() => Hk.Switch(0, Array.Empty<Model<int>>())).Message);
    }

    [Fact]
    public void ASingleBranchSwitchKeepsTheUnusedParameterCheck()
    {
        var f = Hk.Transform((Tensor x) => Hk.Switch(0, [Dense(x, 2)]));
        var p = f.Init(0, ones(1, 2)).With("~/stray", ones(1));
        Assert.Throws<UnusedParametersException>(() => f.Apply(p, ones(1, 2)));
    }

    [Fact]
    public void TwoCondsInOneScopeGetDistinctNamesAndDoNotShiftModuleCounters()
    {
        var f = Hk.Transform((Tensor x) =>
            from a in Dense(x, 2)
            from c1 in Hk.Cond(true, Dense(a, 2), Dense(a, 2))
            from c2 in Hk.Cond(false, Dense(c1, 2), Hk.Pure(c1))
            from b in Dense(c2, 2)
            select b);
        var keys = f.Init(0, ones(1, 2)).Keys.Select(k => k[..k.LastIndexOf("/__call__", StringComparison.Ordinal)]).Distinct().ToArray();
        Assert.Equal(["~/Cond_0/when_false/Linear_0", "~/Cond_0/when_true/Linear_0", "~/Cond_1/when_true/Linear_0", "~/Linear_0", "~/Linear_1"], keys);
    }

    [Fact]
    public void ScanThreadsTheCarryCollectsOutputsAndSharesParameters()
    {
        var f = Hk.Transform((Tensor xs) =>
            Hk.Scan((Tensor h, long t) => Dense(h, 2).Select(y => (y, y.sum().item<float>() + t)), xs, [0L, 1L, 2L]));
        var p = f.Init(0, ones(1, 2));
        Assert.Equal(["~/Linear_0/__call__/W", "~/Linear_0/__call__/b"], p.Keys);
        var r = f.Apply(p, ones(1, 2));
        var w = p["~/Linear_0/__call__/W"];
        var b = p["~/Linear_0/__call__/b"];
        var h = ones(1, 2);
        for (var t = 0; t < 3; t++)
        {
            h = h.matmul(w) + b;
            Assert.Equal(h.sum().item<float>() + t, r.Outputs[t], 4);
        }
        Assert.True(r.Carry.allclose(h));
        Assert.Equal(3, r.Outputs.Count);
    }

    [Fact]
    public void ScanOfZeroStepsReturnsTheInitialCarry()
    {
        var (r, frame) = Hk.Scan((int c, int x) => Hk.Pure((c + x, x)), 7, Array.Empty<int>()).Run(Frame.ForInit(0));
        Assert.Equal(7, r.Carry);
        Assert.Empty(r.Outputs);
        Assert.Empty(frame.Params);
    }

    [Fact]
    public void RepeatSharesParametersAndModulesAfterItKeepTheirNames()
    {
        Transformed<Tensor, Tensor> Make(int n) => Hk.Transform((Tensor x) =>
            from y in Hk.Repeat(n, (_, h) => Dense(h, 2), x)
            from z in Dense(y, 2)
            select z);
        var one = Make(1).Init(0, ones(1, 2));
        var five = Make(5).Init(0, ones(1, 2));
        Assert.Equal(["~/Linear_0/__call__/W", "~/Linear_0/__call__/b", "~/Linear_1/__call__/W", "~/Linear_1/__call__/b"], five.Keys);
        Assert.True(one.BitwiseEquals(five));
        // Repeat passes the step index; count 0 returns the initial carry.
        var (idx, _) = Hk.Repeat(4, (i, acc) => Hk.Pure(acc.Add(i)), ImmutableList<int>.Empty).Run(Frame.ForInit(0));
        Assert.Equal([0, 1, 2, 3], idx);
        Assert.Equal(9, Hk.Repeat(0, (_, c) => Hk.Pure(c + 1), 9).Run(Frame.ForInit(0)).Value);
        Assert.Equal("Hk.Repeat needs a non-negative count, got -1.", Assert.Throws<ModelUsageException>(() => Hk.Repeat(-1, (_, c) => Hk.Pure(c), 0)).Message);
    }

    [Fact]
    public void FoldSharesNamesWhileAggregateGivesEachStepFreshNames()
    {
        var fold = Hk.Transform((Tensor x) => Hk.Fold([2, 2, 2], x, (h, w) => Dense(h, w)));
        var agg = Hk.Transform((Tensor x) => Hk.Aggregate([2, 2, 2], x, (h, w) => Dense(h, w)));
        Assert.Equal(2, fold.Init(0, ones(1, 2)).Count);
        Assert.Equal(["~/Linear_0/__call__/W", "~/Linear_0/__call__/b", "~/Linear_1/__call__/W", "~/Linear_1/__call__/b",
                      "~/Linear_2/__call__/W", "~/Linear_2/__call__/b"], agg.Init(0, ones(1, 2)).Keys);
    }

    [Fact]
    public void FoldWithAnExplicitlyNamedModuleInTheBodyIsNotADuplicate()
    {
        var f = Hk.Transform((Tensor x) => Hk.Fold(Enumerable.Range(0, 3), x, (h, _) =>
            from l in Linear.Create(2, "cell") from y in l.Call(h) select y));
        Assert.Equal(["~/cell/__call__/W", "~/cell/__call__/b"], f.Init(0, ones(1, 2)).Keys);
        var agg = Hk.Transform((Tensor x) => Hk.Aggregate(Enumerable.Range(0, 2), x, (h, _) =>
            from l in Linear.Create(2, "cell") from y in l.Call(h) select y));
        Assert.Throws<ModuleNameException>(() => agg.Init(0, ones(1, 2)));
    }

    [Fact]
    public void SequenceCollectsValuesInOrder()
    {
        var (v, _) = Hk.Sequence(Enumerable.Range(0, 5).Select(i => Hk.Pure(i * i))).Run(Frame.ForInit(0));
        Assert.Equal([0, 1, 4, 9, 16], v);
    }

    [Fact]
    public void RepeatOfAMillionStepsRunsInConstantStack()
    {
        var (r, _) = ModelTests.OnSmallStack(() => Hk.Repeat(1_000_000, (i, acc) => Hk.Pure(acc + (i & 1)), 0L).Run(Frame.ForInit(0)));
        Assert.Equal(500_000L, r);
    }

    [Fact]
    public void FoldOfAMillionStepsRunsInConstantStack()
    {
        var (s, _) = ModelTests.OnSmallStack(() => Hk.Fold(Enumerable.Range(0, 1_000_000), 0L, (acc, i) => Hk.Pure(acc + i)).Run(Frame.ForInit(0)));
        Assert.Equal(499_999_500_000L, s);
    }

    [Fact]
    public void LiftPutsInnerParametersUnderTheCurrentScopeAndReadsThemBack()
    {
        var inner = Hk.Transform((Tensor x) => from m in MLP.Create([2]) from y in m.Call(x) select y);
        var outer = Hk.Transform((Tensor x) =>
            from l in Linear.Create(3)
            from h in l.Call(x)
            from y in Hk.Lift(inner, "pretrained")(h)
            select y);
        var p = outer.Init(0, ones(1, 3));
        Assert.Equal(["~/Linear_0/__call__/W", "~/Linear_0/__call__/b",
                      "~/pretrained/MLP_0/__call__/Linear_0/__call__/W", "~/pretrained/MLP_0/__call__/Linear_0/__call__/b"], p.Keys);
        var innerParams = Params.Create(p.Where(k => k.StartsWith("~/pretrained/", StringComparison.Ordinal))
            .Select(kv => KeyValuePair.Create("~" + kv.Key["~/pretrained".Length..], kv.Value)));
        var l0 = ones(1, 3).matmul(p["~/Linear_0/__call__/W"]) + p["~/Linear_0/__call__/b"];
        Assert.True(outer.Apply(p, ones(1, 3)).allclose(inner.Apply(innerParams, l0)));
        var dup = Hk.Transform((Tensor x) => from a in Hk.Lift(inner, "m")(x) from b in Hk.Lift(inner, "m")(a) select b);
        Assert.Throws<ModuleNameException>(() => dup.Init(0, ones(1, 2)));
        Assert.Throws<ModuleNameException>(() => Hk.Transform(Hk.Lift(inner, "bad name")).Init(0, ones(1, 2)));
    }

    [Fact]
    public void LiftOfAStatefulModelLiftsItsStateToo()
    {
        var inner = Hk.TransformWithState((int _) =>
            from c in Hk.GetState("count", [], Initializers.Zeros())
            from n in Hk.SetState("count", c + 1)
            select n);
        var outer = Hk.TransformWithState((int i) => Hk.Lift(inner, "counter")(i));
        var (p, s0) = outer.Init(0, 0);
        Assert.Empty(p);
        Assert.Equal(["~/counter/count"], s0.Keys);
        var (_, s1) = outer.Apply(p, s0, 0);
        Assert.Equal(1f, s1["~/counter/count"].item<float>());
    }

    [Fact]
    public void RunningInitIsTrueInInitAndFalseInApply()
    {
        var f = Hk.Transform((int _) => from w in Hk.GetParam("w", [1]) from r in Hk.RunningInit() select r);
        var p = f.Init(0, 0);
        Assert.True(Hk.RunningInit().Run(Frame.ForInit(0)).Value);
        Assert.False(f.Apply(p, 0));
    }
}
