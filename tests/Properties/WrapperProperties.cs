using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MiniHaiku.Optim;

namespace MiniHaiku.Tests.Properties;

public class WrapperProperties
{
    private static Params RandomTree(torch.Generator g, int entries) =>
        Params.Create(Enumerable.Range(0, entries).Select(i =>
            new KeyValuePair<string, Tensor>($"~/m{i}/w", torch.randn([1 + i, 2], float64, generator: g))).ToList());

    private static GradientTransformation Inner(int which) => (which % 3) switch
    {
        0 => Optimizers.Sgd(0.1, momentum: 0.9),
        1 => Optimizers.Adam(0.01),
        _ => Optimizers.Chain(Optimizers.ClipByGlobalNorm(1.0), Optimizers.Ema(0.5), Optimizers.Sgd(0.2)),
    };

    private static bool Close(Params a, Params b) =>
        a.Count == b.Count && a.All(kv => kv.Value.allclose(b[kv.Key], rtol: 1e-12, atol: 1e-14));

    /// <summary>
    /// MultiSteps(opt, k): over two cycles of k mini-steps, the updates are zero except on each k-th, where they
    /// equal one step of opt on the mean of that cycle's gradients, and the inner state equals opt's.
    /// </summary>
    [Property(MaxTest = 30)]
    public Property MultiStepsOverKStepsEqualsOneStepOnTheMeanGradient(PositiveInt seed, PositiveInt kSeed, NonNegativeInt optSeed)
    {
        var k = 1 + kSeed.Get % 5;
        using var g = new torch.Generator((ulong)seed.Get);
        var p = RandomTree(g, 3);
        var opt = Inner(optSeed.Get);
        var multi = Optimizers.MultiSteps(opt, k);
        var (ms, os) = (multi.Init(p), opt.Init(p));
        var ok = true;
        for (var cycle = 0; cycle < 2; cycle++)
        {
            var grads = Enumerable.Range(0, k).Select(_ => RandomTree(g, 3)).ToList();
            Params mu = Params.Empty;
            for (var i = 0; i < k; i++)
            {
                (mu, ms) = multi.Update(grads[i], ms, p);
                if (i < k - 1) ok &= mu.Values.All(t => t.count_nonzero().item<long>() == 0);
            }
            var mean = grads[0].Map((path, _) => torch.stack(grads.Select(gr => gr[path]).ToList()).mean([0L]));
            Params ou;
            (ou, os) = opt.Update(mean, os, p);
            ok &= Close(mu, ou) && Close(ms.Inner[0].ToParams(), os.ToParams());
            p = p.ApplyUpdates(ou);
        }
        return Prop.ToProperty(ok).Label($"k = {k}, optimizer {optSeed.Get % 3}");
    }

    /// <summary>ApplyIfFinite: a gradient with a NaN or ±∞ anywhere leaves the parameters and the inner state unchanged.</summary>
    [Property(MaxTest = 40)]
    public Property ApplyIfFiniteLeavesParamsUnchangedOnANonFiniteGradient(PositiveInt seed, NonNegativeInt where, NonNegativeInt kind, PositiveInt warmup)
    {
        using var g = new torch.Generator((ulong)seed.Get);
        var p = RandomTree(g, 3);
        var opt = Optimizers.ApplyIfFinite(Inner(seed.Get), maxConsecutiveErrors: 2);
        var s = opt.Init(p);
        for (var i = 0; i < warmup.Get % 4; i++)
        {
            Params u0;
            (u0, s) = opt.Update(RandomTree(g, 3), s, p);
            p = p.ApplyUpdates(u0);
        }
        var bad = RandomTree(g, 3);
        var flat = bad.Values.Sum(t => t.numel());
        var index = where.Get % flat;
        var value = (kind.Get % 3) switch { 0 => double.NaN, 1 => double.PositiveInfinity, _ => double.NegativeInfinity };
        foreach (var t in bad.Values)
        {
            if (index < t.numel()) { t.view(-1)[index] = value; break; }
            index -= t.numel();
        }
        var (u, s2) = opt.Update(bad, s, p);
        var unchanged = p.ApplyUpdates(u).BitwiseEquals(p) && ReferenceEquals(s2.Inner[0], s.Inner[0]) && s2.Number("last_finite") == 0;
        return Prop.ToProperty(unchanged).Label($"{value} at flat index {where.Get % flat}");
    }
}
