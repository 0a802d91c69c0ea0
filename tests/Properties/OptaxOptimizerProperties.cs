using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MiniHaiku.Optim;

namespace MiniHaiku.Tests.Properties;

/// <summary>Laws of the Optax optimizers that hold for any gradients.</summary>
public class OptaxOptimizerProperties
{
    private static Params RandomTree(int seed, double scale = 1.0)
    {
        using var g = new torch.Generator((ulong)seed);
        return Params.Create([
            new("~/a", torch.randn([3], float64, generator: g).mul(torch.tensor(scale, float64))),
            new("~/b", torch.randn([2, 4], float64, generator: g).mul(torch.tensor(scale, float64))),
        ]);
    }

    private static List<Params> Run(GradientTransformation opt, Params p, IReadOnlyList<Params> grads)
    {
        var s = opt.Init(p);
        var all = new List<Params>();
        foreach (var g in grads)
        {
            Params u;
            (u, s) = opt.Update(g, s, p);
            all.Add(u);
        }
        return all;
    }

    /// <summary>
    /// Optimizers that only see ratios or signs of gradients (no eps) give the same updates when every
    /// gradient is multiplied by the same positive factor. (Not RAdam: its first steps are momentum SGD.)
    /// </summary>
    [Property(MaxTest = 25)]
    public bool ScaleInvariantOptimizersIgnoreAPositiveGradientScale(PositiveInt seed, int exponent)
    {
        var factor = Math.Pow(2, exponent % 20) * 1.37;
        var p = RandomTree(seed.Get);
        var grads = Enumerable.Range(1, 4).Select(i => RandomTree(seed.Get * 7 + i)).ToList();
        var scaled = grads.Select(g => g.Map(t => t.mul(torch.tensor(factor, float64)))).ToList();
        var optimizers = new[]
        {
            Optimizers.SignSgd(0.1), Optimizers.Lion(0.1, weightDecay: 0), Optimizers.Rprop(0.1),
            Optimizers.Adam(0.1, eps: 0), Optimizers.NAdam(0.1, eps: 0), Optimizers.Adamax(0.1, eps: 0),
            Optimizers.AmsGrad(0.1, eps: 0), Optimizers.Adagrad(0.1, initialAccumulatorValue: 0, eps: 0), Optimizers.RmsProp(0.1, eps: 0),
            Optimizers.Adan(0.1, eps: 0, epsRoot: 0), Optimizers.Lamb(0.1, eps: 0), Optimizers.Fromage(0.1, minNorm: 0),
        };
        return optimizers.All(opt => Run(opt, p, grads).Zip(Run(opt, p, scaled))
            .All(pair => pair.First.All(kv => kv.Value.allclose(pair.Second[kv.Key], rtol: 1e-9, atol: 1e-12))));
    }

    /// <summary>NAdam is Adam with Nesterov momentum, and AdamW without decay is Adam, bitwise.</summary>
    [Property(MaxTest = 20)]
    public bool AliasesAgree(PositiveInt seed)
    {
        var p = RandomTree(seed.Get);
        var grads = Enumerable.Range(1, 3).Select(i => RandomTree(seed.Get * 5 + i)).ToList();
        bool Same(GradientTransformation a, GradientTransformation b) => Run(a, p, grads).Zip(Run(b, p, grads)).All(x => x.First.BitwiseEquals(x.Second));
        return Same(Optimizers.NAdam(0.01), Optimizers.Adam(0.01, nesterov: true))
            && Same(Optimizers.AdamW(0.01, weightDecay: 0), Optimizers.Adam(0.01))
            && Same(Optimizers.NAdamW(0.01), Optimizers.AdamW(0.01, nesterov: true));
    }

    /// <summary>Lion's (undecayed) updates are ±lr or 0 in every element.</summary>
    [Property(MaxTest = 20)]
    public bool LionStepsHaveTheLearningRateAsMagnitude(PositiveInt seed)
    {
        var p = RandomTree(seed.Get);
        var grads = Enumerable.Range(1, 3).Select(i => RandomTree(seed.Get * 3 + i)).ToList();
        return Run(Optimizers.Lion(0.03, weightDecay: 0), p, grads)
            .All(u => u.Values.All(t => t.abs().data<double>().All(v => v == 0 || Math.Abs(v - 0.03) < 1e-15)));
    }

    /// <summary>LARS's first update of each parameter has norm lr · trustCoefficient · ‖p‖ (no decay, momentum not yet built up).</summary>
    [Property(MaxTest = 20)]
    public bool LarsFirstStepHasTheTrustedNorm(PositiveInt seed, PositiveInt scaleTenths)
    {
        var p = RandomTree(seed.Get, scaleTenths.Get / 10.0);
        var g = RandomTree(seed.Get + 1000);
        var opt = Optimizers.Lars(0.5, trustCoefficient: 0.02);
        var (u, _) = opt.Update(g, opt.Init(p), p);
        return u.All(kv => Math.Abs(kv.Value.norm().item<double>() - 0.5 * 0.02 * p[kv.Key].norm().item<double>()) <= 1e-12 * (1 + p[kv.Key].norm().item<double>()));
    }
}
