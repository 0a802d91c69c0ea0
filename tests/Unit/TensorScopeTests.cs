using MiniHaiku.Layers;
using MiniHaiku.Optim;
using MiniHaiku.Training;

namespace MiniHaiku.Tests;

public class TensorScopeTests
{
    private const int Latent = 2;

    private static Tensor Noise(RngKey key, long[] shape)
    {
        using var g = key.CreateGenerator();
        return torch.randn(shape, generator: g);
    }

    /// <summary>A small VAE whose output is its loss (reconstruction error plus KL divergence).</summary>
    private static readonly Transformed<Tensor, Tensor> Vae = Hk.Transform((Tensor x) =>
        from h in MLP.Create([32, 2 * Latent], name: "encoder").Call(x)
        from key in Hk.NextRngKey()
        let mu = h.narrow(1, 0, Latent)
        let logVar = h.narrow(1, Latent, Latent)
        let z = mu + (logVar * 0.5).exp() * Noise(key, mu.shape)
        from recon in MLP.Create([32, (int)x.shape[1]], name: "decoder").Call(z)
        select (recon - x).square().sum(1).mean() + ((logVar.exp() + mu.square() - 1 - logVar).sum(1) * 0.5).mean());

    private static readonly GradientTransformation Optimizer = Optimizers.Chain(Optimizers.ClipByGlobalNorm(1.0), Optimizers.Adam(3e-3));

    private static int Held(Params p, OptState s) => p.Values.Concat(s.Tensors()).Distinct(ReferenceEqualityComparer.Instance).Count();

    [Fact]
    public void TheNaturalPureLoopGrowsEveryStep()
    {
        // The problem Advance solves: without a scope every step's parameters, optimizer slots,
        // gradients and temporaries stay alive.
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator(3);
        var x = torch.randn([16, 8], generator: g);
        var stats = DisposeScopeManager.Statistics.TensorStatistics;
        var p = Vae.Init(0, x);
        var s = Optimizer.Init(p);
        var key = RngKey.FromSeed(1);
        var before = stats.ThreadTotalLiveCount;
        const int steps = 10;
        for (var i = 0; i < steps; i++)
        {
            (key, var use) = key.Split();
            var (_, grads) = Grad.ValueAndGrad(q => Vae.Apply(q, x, use))(p);
            var (updates, next) = Optimizer.Update(grads, s, p);
            (p, s) = (p.ApplyUpdates(updates), next);
        }
        Assert.True(stats.ThreadTotalLiveCount - before >= steps * Held(p, s), $"grew by {stats.ThreadTotalLiveCount - before}");
    }

    [Fact]
    public void AdvanceKeepsAHandWrittenVaeLoopFlat()
    {
        using var g = new torch.Generator(3);
        var x = torch.randn([16, 8], generator: g);
        var stats = DisposeScopeManager.Statistics.TensorStatistics;
        var p = Vae.Init(0, x);
        var s = Optimizer.Init(p);
        // Init's own temporaries (the forward pass's output) are left to the garbage collector: count from here.
        var before = stats.ThreadTotalLiveCount - Held(p, s);
        var key = RngKey.FromSeed(1);
        var losses = new List<float>();
        var live = new List<long>();
        for (var i = 0; i < 200; i++)
        {
            (key, var use) = key.Split();
            (p, s) = TensorScope.Advance(p, s, (p, s) =>
            {
                var (loss, grads) = Grad.ValueAndGrad(q => Vae.Apply(q, x, use))(p);
                losses.Add(loss.item<float>());
                var (updates, next) = Optimizer.Update(grads, s, p);
                return (p.ApplyUpdates(updates), next);
            });
            live.Add(stats.ThreadTotalLiveCount);
        }
        Assert.Equal([before + Held(p, s)], live.Distinct());
        Assert.True(losses.Skip(180).Average() < 0.8 * losses.Take(20).Average(), $"{losses.Take(20).Average()} -> {losses.Skip(180).Average()}");
        p.DisposeTensors();
        foreach (var t in s.Tensors()) t.Dispose();
        Assert.Equal(before, stats.ThreadTotalLiveCount);
        x.Dispose();
    }

    [Fact]
    public void AdvanceKeepsTensorsTheNewStateShares()
    {
        var stats = DisposeScopeManager.Statistics.TensorStatistics;
        var before = stats.ThreadTotalLiveCount;
        var p = Params.Create([new("~/a", torch.ones(2)), new("~/b", torch.zeros(3))]);
        var (a, b) = (p["~/a"], p["~/b"]);
        var next = TensorScope.Advance(p, OptState.Empty, (q, s) => (q.With("~/a", q["~/a"] * 3), s)).Params;
        Assert.True(a.IsInvalid);
        Assert.False(b.IsInvalid);
        Assert.Same(b, next["~/b"]);
        Assert.Equal([3f, 3f], next["~/a"].data<float>().ToArray());
        Assert.Equal(before + 2, stats.ThreadTotalLiveCount);
        next.DisposeTensors();
    }

    [Fact]
    public void AFailedAdvanceDisposesWhatItMadeAndLeavesTheOldStateIntact()
    {
        var stats = DisposeScopeManager.Statistics.TensorStatistics;
        var p = Params.Create([new("~/a", torch.ones(2))]);
        var start = new TrainState(p, Params.Empty, Optimizer.Init(p), 0, RngKey.FromSeed(0));
        var before = stats.ThreadTotalLiveCount;
        Assert.Throws<InvalidDataException>(() => TensorScope.Advance(start, s =>
        {
            var doubled = s.Params.Map(t => t * 2);
            _ = doubled["~/a"].sum();
            throw new InvalidDataException("bad batch");
        }));
        Assert.Equal(before, stats.ThreadTotalLiveCount);
        Assert.All(start.Tensors(), t => Assert.False(t.IsInvalid));
        Assert.Equal([1f, 1f], start.Params["~/a"].data<float>().ToArray());
        start.DisposeTensors();
    }

    [Fact]
    public void KeepDisposesTemporariesButNotWhatExistedBefore()
    {
        var stats = DisposeScopeManager.Statistics.TensorStatistics;
        using var outside = torch.ones(2);
        var before = stats.ThreadTotalLiveCount;
        var (kept, same) = TensorScope.Keep(() =>
        {
            var temporary = outside * 2;
            return (temporary + 1, outside);
        }, r => [r.Item1, r.Item2]);
        Assert.Same(outside, same);
        Assert.Equal(before + 1, stats.ThreadTotalLiveCount);
        Assert.Equal([3f, 3f], kept.data<float>().ToArray());
        kept.Dispose();
    }
}
