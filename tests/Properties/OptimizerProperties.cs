using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MiniHaiku.Optim;

namespace MiniHaiku.Tests.Properties;

public class OptimizerProperties
{
    /// <summary>For any subset of frozen paths, Frozen(AdamW) leaves exactly those parameters bitwise unchanged and moves all others.</summary>
    [Property(MaxTest = 30)]
    public bool FrozenChangesExactlyTheUnfrozenParams(PositiveInt seed, byte frozenBits)
    {
        using var g = new torch.Generator((ulong)seed.Get);
        var p0 = Params.Create(Enumerable.Range(0, 5).Select(i =>
            new KeyValuePair<string, Tensor>($"~/m{i}/w", torch.randn([2, 1 + i], float64, generator: g))).ToList());
        bool IsFrozen(string path) => (frozenBits >> (path[3] - '0') & 1) == 1;
        var opt = Optimizers.Frozen(Optimizers.AdamW(0.1, weightDecay: 0.1), IsFrozen);
        var grad = Grad.Gradient(q => q.Values.Select(t => torch.sin(t).sum()).Aggregate((a, b) => a + b));
        var p = p0;
        var s = opt.Init(p);
        for (var i = 0; i < 3; i++)
        {
            Params u;
            (u, s) = opt.Update(grad(p), s, p);
            p = p.ApplyUpdates(u);
        }
        return p0.All(kv => IsFrozen(kv.Key) == p[kv.Key].Equals(kv.Value));
    }

    /// <summary>ClipByGlobalNorm(c) always yields updates of global norm at most c (up to rounding), and keeps directions.</summary>
    [Property(MaxTest = 50)]
    public bool ClipByGlobalNormBoundsTheNorm(PositiveInt seed, PositiveInt maxNormTenths)
    {
        using var g = new torch.Generator((ulong)seed.Get);
        var grads = Params.Create([new("~/a", torch.randn([3], float64, generator: g) * 5), new("~/b", torch.randn([2, 2], float64, generator: g))]);
        var max = maxNormTenths.Get / 10.0;
        var clip = Optimizers.ClipByGlobalNorm(max);
        var (u, _) = clip.Update(grads, clip.Init(grads));
        var norm = u.GlobalNorm().item<double>();
        var scale = norm / grads.GlobalNorm().item<double>();
        return norm <= max * (1 + 1e-12) && grads.All(kv => (kv.Value * scale).allclose(u[kv.Key], rtol: 1e-12, atol: 1e-12));
    }
}
