using MiniHaiku.Distributed;
using MiniHaiku.Optim;
using MiniHaiku.Training;

namespace MiniHaiku.Tests.Distributed;

/// <summary>
/// A small regression problem with float32 and float64 parameters and a floating model state (a running
/// mean of the inputs), used by the MPI scenarios and their single-process reference.
/// </summary>
public static class TinyProblem
{
    public const int Examples = 45;
    public const int BatchSize = 15; // odd: shards of 7 and 8 on two ranks
    public const int Steps = 6;      // 3 batches per pass, 2 passes

    public sealed record Batch(Tensor X, Tensor Y) : IDisposable
    {
        public void Dispose() { X.Dispose(); Y.Dispose(); }
    }

    public static (Tensor X, Tensor Y) Data()
    {
        using var g = new Generator(7);
        var x = randn([Examples, 4], generator: g);
        var y = randn([Examples, 3], generator: g);
        return (x, y);
    }

    public static (Params Params, Params State) Init(long seed)
    {
        using var g = new Generator((ulong)seed);
        using var half = 0.5f.ToScalar(); // held across the native calls (see the briefing's Scalar pitfall)
        var p = Params.Create([
            new("w1", randn([4, 8], generator: g).mul_(half)),
            new("b1", zeros(8)),
            new("w2", randn([8, 3], generator: g).mul_(half)),
            new("c64", randn([3], dtype: ScalarType.Float64, generator: g)),
        ]);
        var s = Params.Create([new("mean_x", zeros(4))]);
        return (p, s);
    }

    /// <summary>Mean squared error of a 2-layer MLP plus a float64 bias; the state tracks the input mean.</summary>
    public static (Tensor Loss, Params State) Loss(Params p, Params s, Batch b, RngKey key)
    {
        using var one = 1.0f.ToScalar();
        using var minusOne = (-1.0f).ToScalar();
        using var decay = 0.9f.ToScalar();
        using var rate = 0.1f.ToScalar();
        var h = nn.functional.relu(b.X.matmul(p["w1"]).add(p["b1"], one));
        var y = h.matmul(p["w2"]).add(p["c64"].to_type(ScalarType.Float32), one);
        var err = y.add(b.Y, minusOne);
        var loss = err.mul(err).mean();
        var mean = s["mean_x"].mul(decay).add(b.X.mean([0L]), rate);
        return (loss, Params.Create([new("mean_x", mean)]));
    }

    public static GradientTransformation Optimizer() => Optimizers.Adam(0.02);

    public static IEnumerable<Batch> Pass(ShardSampler sampler, Tensor x, Tensor y, int pass) =>
        sampler.Batches(Examples, BatchSize, idx => new Batch(x.index_select(0, idx), y.index_select(0, idx)), RngKey.FromSeed(3).Fold(pass));

    /// <summary>The single-process reference: the plain Trainer on whole batches, same order.</summary>
    public static TrainState Reference(Params p, Params s, Tensor x, Tensor y)
    {
        var trainer = Trainer.Create<Batch>(Loss, Optimizer(), b => b.X.shape[0]);
        var state = trainer.Init(p, 0, s);
        var whole = new ShardSampler(0, 1);
        for (var pass = 0; pass < Steps / (Examples / BatchSize); pass++)
            state = trainer.Fit(state, Pass(whole, x, y, pass));
        return state;
    }
}
