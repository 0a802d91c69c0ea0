using MiniHaiku.Optim;
using TorchSharp.Modules;

namespace MiniHaiku.Tests.Optim;

/// <summary>Each optimizer follows TorchSharp's torch.optim equivalent step by step on a fixed float64 problem.</summary>
public class OptimizersTests
{
    private static readonly Tensor X = torch.linspace(-1, 1, 24, float64).reshape(8, 3);
    private static readonly Tensor Y = torch.sin(torch.linspace(0, 3, 16, float64)).reshape(8, 2);

    private static Params Initial()
    {
        using var g = new torch.Generator(11);
        return Params.Create([
            new("~/lin/w", torch.randn([3, 2], float64, generator: g)),
            new("~/lin/b", torch.randn([2], float64, generator: g)),
        ]);
    }

    private static Tensor Loss(Tensor w, Tensor b) => (X.matmul(w) + b - Y).square().mean();

    internal static void AssertFollowsTorch(GradientTransformation ours, Func<IEnumerable<Parameter>, OptimizerHelper> theirs, int steps = 100)
    {
        var p = Initial();
        var w = new Parameter(p["~/lin/w"].clone());
        var b = new Parameter(p["~/lin/b"].clone());
        var torchOpt = theirs([w, b]);
        var state = ours.Init(p);
        var valueAndGrad = Grad.ValueAndGrad(q => Loss(q["~/lin/w"], q["~/lin/b"]));
        for (var step = 0; step < steps; step++)
        {
            var (_, grads) = valueAndGrad(p);
            Params updates;
            (updates, state) = ours.Update(grads, state, p);
            p = p.ApplyUpdates(updates);

            torchOpt.zero_grad();
            Loss(w, b).backward();
            torchOpt.step();

            Assert.True(p["~/lin/w"].allclose(w, rtol: 1e-6, atol: 1e-6), $"w differs at step {step + 1}");
            Assert.True(p["~/lin/b"].allclose(b, rtol: 1e-6, atol: 1e-6), $"b differs at step {step + 1}");
        }
        // The problem is not trivial: both moved far from the start.
        Assert.False(p["~/lin/w"].allclose(Initial()["~/lin/w"], rtol: 1e-3, atol: 1e-3));
    }

    [Fact]
    public void SgdMatchesTorch() => AssertFollowsTorch(Optimizers.Sgd(0.1), ps => torch.optim.SGD(ps, 0.1));

    [Fact]
    public void SgdMomentumMatchesTorch() => AssertFollowsTorch(Optimizers.Sgd(0.05, momentum: 0.9), ps => torch.optim.SGD(ps, 0.05, momentum: 0.9));

    [Fact]
    public void SgdNesterovMatchesTorch() =>
        AssertFollowsTorch(Optimizers.Sgd(0.05, momentum: 0.8, nesterov: true), ps => torch.optim.SGD(ps, 0.05, momentum: 0.8, nesterov: true));

    [Fact]
    public void AdamMatchesTorch() => AssertFollowsTorch(Optimizers.Adam(0.02), ps => torch.optim.Adam(ps, 0.02));

    [Fact]
    public void AdamWithCustomBetasMatchesTorch() =>
        AssertFollowsTorch(Optimizers.Adam(0.03, b1: 0.8, b2: 0.95, eps: 1e-6), ps => torch.optim.Adam(ps, 0.03, beta1: 0.8, beta2: 0.95, eps: 1e-6));

    [Fact]
    public void AdamWMatchesTorch() =>
        AssertFollowsTorch(Optimizers.AdamW(0.02, weightDecay: 0.1), ps => torch.optim.AdamW(ps, 0.02, weight_decay: 0.1));

    [Fact]
    public void RmsPropMatchesTorch() => AssertFollowsTorch(Optimizers.RmsProp(0.01, decay: 0.99, epsInSqrt: false), ps => torch.optim.RMSProp(ps, 0.01));

    [Fact]
    public void RmsPropCenteredWithMomentumMatchesTorch() =>
        AssertFollowsTorch(Optimizers.RmsProp(0.005, decay: 0.9, epsInSqrt: false, momentum: 0.5, centered: true),
            ps => torch.optim.RMSProp(ps, 0.005, alpha: 0.9, momentum: 0.5, centered: true));

    [Fact]
    public void AdagradMatchesTorch() => AssertFollowsTorch(Optimizers.Adagrad(0.1, eps: 0), ps => torch.optim.Adagrad(ps, 0.1, initial_accumulator_value: 0.1, eps: 0));

    [Fact]
    public void AdagradWithInitialAccumulatorMatchesTorch() =>
        AssertFollowsTorch(Optimizers.Adagrad(0.1, initialAccumulatorValue: 0.5, eps: 0), ps => torch.optim.Adagrad(ps, 0.1, initial_accumulator_value: 0.5, eps: 0));

    [Fact]
    public void UpdateLeavesOldStateAndGradsUnchanged()
    {
        var p = Initial();
        var opt = Optimizers.Adam(0.1);
        var s0 = opt.Init(p);
        var grads = p.Map(t => t * 2);
        var (_, s1) = opt.Update(grads, s0, p);
        var (_, s2) = opt.Update(grads, s1, p);
        var s1Copy = s1.ToParams().Map(t => t.clone());
        opt.Update(grads, s1, p);
        Assert.True(s1.ToParams().BitwiseEquals(s1Copy));
        Assert.True(s0.ToParams().BitwiseEquals(opt.Init(p).ToParams()));
        Assert.True(grads.BitwiseEquals(p.Map(t => t * 2)));
        Assert.False(s2.ToParams().BitwiseEquals(s1Copy));
    }

    [Fact]
    public void ClipByGlobalNormRescalesOnlyAboveTheLimit()
    {
        var g = Params.Create([new("~/a", torch.tensor(new[] { 3.0, 0.0 })), new("~/b", torch.tensor(new[] { 4.0 }))]); // norm 5
        var clip = Optimizers.ClipByGlobalNorm(1.0);
        var (u, _) = clip.Update(g, clip.Init(g));
        Assert.Equal(1.0, u.GlobalNorm().item<double>(), 12);
        Assert.True(u["~/a"].allclose(torch.tensor(new[] { 0.6, 0.0 })));
        Assert.True(u["~/b"].allclose(torch.tensor(new[] { 0.8 })));
        var loose = Optimizers.ClipByGlobalNorm(10.0);
        var (same, _) = loose.Update(g, loose.Init(g));
        Assert.True(same.BitwiseEquals(g));
    }

    [Fact]
    public void ChainAppliesInOrder()
    {
        var g = Params.Create([new("~/a", torch.tensor(new[] { 3.0, 4.0 }))]);
        var clipThenScale = Optimizers.Chain(Optimizers.ClipByGlobalNorm(1.0), Optimizers.Scale(2.0));
        var scaleThenClip = Optimizers.Chain(Optimizers.Scale(2.0), Optimizers.ClipByGlobalNorm(1.0));
        Assert.Equal(2.0, clipThenScale.Update(g, clipThenScale.Init(g)).Updates.GlobalNorm().item<double>(), 12);
        Assert.Equal(1.0, scaleThenClip.Update(g, scaleThenClip.Init(g)).Updates.GlobalNorm().item<double>(), 12);
    }

    [Fact]
    public void ScheduleDrivesTheLearningRatePerStep()
    {
        var p = Params.Create([new("~/a", torch.tensor(new[] { 1.0, -2.0 }))]);
        var schedule = Schedule.ExponentialDecay(0.5, transitionSteps: 1, decayRate: 0.5);
        var opt = Optimizers.Sgd(schedule);
        var s = opt.Init(p);
        var g = p.FullLike(1.0);
        for (var step = 0; step < 5; step++)
        {
            Params u;
            (u, s) = opt.Update(g, s, p);
            Assert.True(u["~/a"].allclose(torch.full([2], -0.5 * Math.Pow(0.5, step), float64), rtol: 1e-15, atol: 0));
        }
    }

    [Fact]
    public void FrozenKeepsExactlyTheChosenParamsBitwise()
    {
        var p0 = Initial();
        var opt = Optimizers.Frozen(Optimizers.AdamW(0.05, weightDecay: 0.1), path => path.EndsWith("/b", StringComparison.Ordinal));
        var p = p0;
        var s = opt.Init(p);
        var f = Grad.Gradient(q => Loss(q["~/lin/w"], q["~/lin/b"]));
        for (var i = 0; i < 10; i++)
        {
            Params u;
            (u, s) = opt.Update(f(p), s, p);
            p = p.ApplyUpdates(u);
        }
        Assert.True(p["~/lin/b"].Equals(p0["~/lin/b"]));
        Assert.False(p["~/lin/w"].allclose(p0["~/lin/w"]));
        Assert.DoesNotContain(s.ToParams().Keys, k => k.EndsWith("~/lin/b", StringComparison.Ordinal) && !k.Contains("/1/"));
        Assert.Contains(s.ToParams().Keys, k => k.EndsWith("mu/~/lin/w", StringComparison.Ordinal));
    }

    [Fact]
    public void MaskedPassesUnselectedGradientsThrough()
    {
        var g = Params.Create([new("~/a", torch.tensor(new[] { 1.0 })), new("~/b", torch.tensor(new[] { 2.0 }))]);
        var opt = Optimizers.Masked(Optimizers.Scale(10), path => path == "~/a");
        var (u, s) = opt.Update(g, opt.Init(g));
        Assert.Equal(10.0, u["~/a"].item<double>());
        Assert.Equal(2.0, u["~/b"].item<double>());
        Assert.Equal(["~/a", "~/b"], u.Keys.ToArray());
    }

    [Fact]
    public void AdamWWithoutParamsIsAClearError()
    {
        var p = Initial();
        var opt = Optimizers.AdamW(0.1);
        var e = Assert.Throws<OptimizerStateException>(() => opt.Update(p, opt.Init(p)));
        Assert.Contains("parameters", e.Message);
    }

    [Fact]
    public void StateFromOtherParamsIsAClearError()
    {
        var p = Initial();
        var opt = Optimizers.Adam(0.1);
        var other = opt.Init(p.Without("~/lin/b"));
        var e = Assert.Throws<OptimizerStateException>(() => opt.Update(p, other, p));
        Assert.Contains("~/lin/b", e.Message);
    }

    [Fact]
    public void OptStateRoundTripsThroughParams()
    {
        var p = Initial();
        var opt = Optimizers.Chain(Optimizers.ClipByGlobalNorm(1), Optimizers.Adam(0.1));
        var s = opt.Init(p);
        for (var i = 0; i < 3; i++) s = opt.Update(p, s, p).State;
        var back = OptState.FromParams(s.ToParams(), opt.Init(p));
        Assert.True(back.ToParams().BitwiseEquals(s.ToParams()));
        Assert.Equal(3, back.Inner[1].Inner[0].Count);
        var (u1, _) = opt.Update(p, s, p);
        var (u2, _) = opt.Update(p, back, p);
        Assert.True(u1.BitwiseEquals(u2));
    }
}
