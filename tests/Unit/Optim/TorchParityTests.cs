using MiniHaiku.Optim;
using static MiniHaiku.Tests.Optim.OptimizersTests;

namespace MiniHaiku.Tests.Optim;

/// <summary>Optimizers torch.optim also has follow its trajectory over 100 float64 steps (to 1e-6), hyperparameters mapped.</summary>
public class TorchParityTests
{
    [Fact]
    public void NAdamMatchesTorchWithoutMomentumDecay() =>
        // torch's μ_t = b1 (1 - 0.5 · 0.96^(t ψ)) is Optax's constant b1 when ψ → ∞ (0.96^(1e9) = 0).
        AssertFollowsTorch(Optimizers.NAdam(0.02), ps => torch.optim.NAdam(ps, 0.02, momentum_decay: 1e9));

    [Fact]
    public void AdamNesterovIsNAdam() =>
        AssertFollowsTorch(Optimizers.Adam(0.03, b1: 0.8, b2: 0.95, nesterov: true), ps => torch.optim.NAdam(ps, 0.03, beta1: 0.8, beta2: 0.95, momentum_decay: 1e9));

    [Fact]
    public void RAdamMatchesTorchAtLearningRateOne() =>
        // eps tiny because PyTorch adds it before the bias correction.
        AssertFollowsTorch(Optimizers.RAdam(1.0, b2: 0.99, eps: 1e-12), ps => torch.optim.RAdam(ps, 1.0, beta2: 0.99, eps: 1e-12));

    [Fact]
    public void RAdamMatchesTorchSharpsRAdamWithItsSquaredLearningRate()
    {
        // TorchSharp 0.107's RAdam multiplies the rectified step by lr twice (PyTorch and Optax: once).
        // Mapped: lr while ρ_t ≤ 5 (momentum SGD), lr² after.
        const double lr = 0.1, b2 = 0.99;
        var roInf = 2 / (1 - b2) - 1;
        double Ro(long t) => roInf - 2 * t * Math.Pow(b2, t) / (1 - Math.Pow(b2, t));
        var schedule = new Schedule(count => Ro(count + 1) > 5 ? lr * lr : lr);
        AssertFollowsTorch(Optimizers.RAdam(schedule, b2: b2, eps: 1e-12), ps => torch.optim.RAdam(ps, lr, beta2: b2, eps: 1e-12));
    }

    [Fact]
    public void AdamaxMatchesTorch() => AssertFollowsTorch(Optimizers.Adamax(0.02), ps => torch.optim.Adamax(ps, 0.02));

    [Fact]
    public void AdadeltaMatchesTorch() => AssertFollowsTorch(Optimizers.Adadelta(), ps => torch.optim.Adadelta(ps));

    [Fact]
    public void AdadeltaWithLearningRateMatchesTorch() =>
        AssertFollowsTorch(Optimizers.Adadelta(0.5, rho: 0.8, eps: 1e-5), ps => torch.optim.Adadelta(ps, 0.5, rho: 0.8, eps: 1e-5));

    [Fact]
    public void RpropMatchesTorch() => AssertFollowsTorch(Optimizers.Rprop(0.01), ps => torch.optim.Rprop(ps, 0.01));

    [Fact]
    public void AmsGradMatchesTorchAdamAmsgrad()
    {
        // torch: m̂ / (sqrt(max v) / sqrt(1 - b2^t) + eps). Optax without ν bias correction: m̂ / (sqrt(max v) + eps).
        // With eps negligible they differ by the factor sqrt(1 - b2^t), moved into the learning rate.
        const double lr = 0.02, b2 = 0.999;
        var schedule = new Schedule(count => lr * Math.Sqrt(1 - Math.Pow(b2, count + 1)));
        AssertFollowsTorch(Optimizers.AmsGrad(schedule, b2: b2, eps: 1e-14, biasCorrectionNu: false),
            ps => torch.optim.Adam(ps, lr, beta2: b2, eps: 1e-14, amsgrad: true));
    }

    [Fact]
    public void AdamWWithMaskMatchesTorchAdamWOnTheMaskedParameters()
    {
        // Decaying only w: torch with decay on w's group and no decay on b's.
        AssertFollowsTorch(Optimizers.AdamW(0.02, weightDecay: 0.1, mask: path => path.EndsWith("/w", StringComparison.Ordinal)),
            ps =>
            {
                var list = ps.ToList();
                return torch.optim.AdamW([
                    new TorchSharp.Modules.AdamW.ParamGroup([list[0]], new() { LearningRate = 0.02, weight_decay = 0.1 }),
                    new TorchSharp.Modules.AdamW.ParamGroup([list[1]], new() { LearningRate = 0.02, weight_decay = 0 }),
                ], 0.02);
            });
    }

    [Fact]
    public void SgdNesterovWithOptaxMomentumTypeMatchesTorch() =>
        AssertFollowsTorch(Optimizers.Sgd(0.05, momentum: 0.9, nesterov: true), ps => torch.optim.SGD(ps, 0.05, momentum: 0.9, nesterov: true));

    [Fact]
    public void RmsPropOptaxMomentumMatchesTorch()
    {
        // torch.optim.RMSprop has no Nesterov option: check plain momentum with the torch arithmetic and Optax's defaults otherwise.
        AssertFollowsTorch(Optimizers.RmsProp(0.01, decay: 0.9, epsInSqrt: false, momentum: 0.9),
            ps => torch.optim.RMSProp(ps, 0.01, alpha: 0.9, momentum: 0.9));
    }

    [Fact]
    public void LbfgsMatchesTorchWithoutLineSearch()
    {
        // torch.optim.LBFGS with max_iter 1 takes one L-BFGS iteration per step. Its first step is
        // min(1, 1/‖g‖₁)·lr, Optax's min(1, 1/‖g‖₂): equal while ‖g‖₁ ≤ 1, so the problem is scaled down.
        var x = torch.linspace(-1, 1, 24, float64).reshape(8, 3);
        var y = torch.sin(torch.linspace(0, 3, 16, float64)).reshape(8, 2);
        Tensor Loss(Tensor w, Tensor b) => (x.matmul(w) + b - y).square().mean().mul(torch.tensor(0.05, float64));
        using var gen = new torch.Generator(3);
        var p = Params.Create([new("~/w", torch.randn([3, 2], float64, generator: gen).mul(torch.tensor(0.1, float64))), new("~/b", torch.zeros([2], float64))]);
        var w = new TorchSharp.Modules.Parameter(p["~/w"].clone());
        var b = new TorchSharp.Modules.Parameter(p["~/b"].clone());
        var theirs = torch.optim.LBFGS([w, b], lr: 0.5, max_iter: 1, max_eval: 2, tolerange_grad: 0, tolerance_change: 0, history_size: 5);
        var ours = Optimizers.Lbfgs(0.5, memorySize: 5);
        var state = ours.Init(p);
        var valueAndGrad = Grad.ValueAndGrad(q => Loss(q["~/w"], q["~/b"]));
        var (_, g0) = valueAndGrad(p);
        Assert.True(g0.Values.Sum(t => t.abs().sum().item<double>()) <= 1, "the first step's norms would differ");
        for (var step = 1; step <= 100; step++)
        {
            var (_, grads) = valueAndGrad(p);
            Params updates;
            (updates, state) = ours.Update(grads, state, p);
            p = p.ApplyUpdates(updates);
            theirs.step(() =>
            {
                theirs.zero_grad();
                var loss = Loss(w, b);
                loss.backward();
                return loss;
            });
            Assert.True(p["~/w"].allclose(w, rtol: 1e-6, atol: 1e-6), $"w differs at step {step}");
            Assert.True(p["~/b"].allclose(b, rtol: 1e-6, atol: 1e-6), $"b differs at step {step}");
        }
        Assert.False(p["~/w"].allclose(torch.zeros([3, 2], float64), atol: 1e-2));
    }
}
