using MiniHaiku.Distributed;
using MiniHaiku.Layers;
using MiniHaiku.Optim;
using MiniHaiku.Training;

namespace MiniHaiku.Tests.Distributed;

/// <summary>
/// The per-rank side of the MPI tests: <c>mpiexec -n 2 dotnet MiniHaiku.Tests.Distributed.dll SCENARIO</c>.
/// Each rank prints <c>rank R: key=value</c> lines that <see cref="MpiTrainingTests"/> checks.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length != 1) { Console.Error.WriteLine("usage: MiniHaiku.Tests.Distributed SCENARIO (run by MpiTrainingTests under mpiexec)"); return 2; }
        return MpiSession.Run(mpi => args[0] switch
        {
            "parity" => Parity(mpi),
            "fail-in-step" => FailInStep(mpi),
            "fail-outside-step" => FailOutsideStep(mpi),
            "uneven-batches" => UnevenBatches(mpi),
            "readme" => Readme(mpi),
            "fail-on-root" => FailOnRoot(mpi),
            "seed-mismatch" => SeedMismatch(mpi),
            _ => throw new ArgumentException($"unknown scenario '{args[0]}'"),
        });
    }

    /// <summary>
    /// k steps of data-parallel training (rank 1 initializes from another seed, so only the broadcast makes
    /// them start equal), then: digests across ranks, and the distance to the single-process reference
    /// trained on whole batches from rank 0's initial parameters.
    /// </summary>
    private static int Parity(MpiSession mpi)
    {
        var (x, y) = TinyProblem.Data();
        var (p, s) = TinyProblem.Init(seed: 100 + mpi.Rank);
        var trainer = DataParallel.Create<TinyProblem.Batch>(mpi, TinyProblem.Loss, TinyProblem.Optimizer(), b => b.X.shape[0]);
        var state = trainer.Init(p, 0, s);
        var sampler = ShardSampler.For(mpi);
        var shardSizes = new List<long>();
        for (var pass = 0; pass < TinyProblem.Steps / (TinyProblem.Examples / TinyProblem.BatchSize); pass++)
            state = trainer.Fit(state, TinyProblem.Pass(sampler, x, y, pass).Select(b => { shardSizes.Add(b.X.shape[0]); return b; }));
        var paramsAgreement = mpi.CompareAcrossRanks(state.Params);
        var stateAgreement = mpi.CompareAcrossRanks(state.State);

        var (p0, s0) = TinyProblem.Init(seed: 100); // rank 0's initial values
        var reference = TinyProblem.Reference(p0, s0, x, y);
        var paramDiff = MaxAbsDiff(state.Params, reference.Params);
        var stateDiff = MaxAbsDiff(state.State, reference.State);
        var differsFromInit = MaxAbsDiff(state.Params, p0);
        Console.WriteLine($"rank {mpi.Rank}: size={mpi.Size} steps={state.Step} shards={string.Join(",", shardSizes)}");
        Console.WriteLine($"rank {mpi.Rank}: digest={paramsAgreement.Digest} identical={paramsAgreement.Identical} state_identical={stateAgreement.Identical}");
        Console.WriteLine($"rank {mpi.Rank}: max_param_diff={paramDiff:R} max_state_diff={stateDiff:R} moved_from_init={differsFromInit:R}");
        return 0;
    }

    /// <summary>Rank 1's loss throws at step 3; both ranks must end with a clear message.</summary>
    private static int FailInStep(MpiSession mpi)
    {
        var (x, y) = TinyProblem.Data();
        var (p, s) = TinyProblem.Init(seed: 100);
        var steps = 0;
        var trainer = DataParallel.Create<TinyProblem.Batch>(mpi, (pp, ss, b, k) =>
        {
            if (mpi.Rank == 1 && ++steps == 3) throw new InvalidOperationException("boom: a deliberate failure in rank 1's loss");
            return TinyProblem.Loss(pp, ss, b, k);
        }, TinyProblem.Optimizer(), b => b.X.shape[0]);
        var state = trainer.Init(p, 0, s);
        state = trainer.Fit(state, TinyProblem.Pass(ShardSampler.For(mpi), x, y, 0));
        Console.WriteLine($"rank {mpi.Rank}: finished (should not happen) at step {state.Step}");
        return 0;
    }

    /// <summary>Rank 1 throws outside any collective while rank 0 waits in one: MpiSession.Run must abort the job.</summary>
    private static int FailOutsideStep(MpiSession mpi)
    {
        if (mpi.Rank == 1) throw new InvalidOperationException("boom: rank 1 failed before training");
        var (p, s) = TinyProblem.Init(seed: 100);
        var trainer = DataParallel.Create<TinyProblem.Batch>(mpi, TinyProblem.Loss, TinyProblem.Optimizer());
        trainer.Init(p, 0, s); // waits for rank 1, which never comes
        Console.WriteLine($"rank {mpi.Rank}: finished (should not happen)");
        return 0;
    }

    /// <summary>Rank 1 gets one batch fewer: every rank must stop with an error instead of waiting.</summary>
    private static int UnevenBatches(MpiSession mpi)
    {
        var (x, y) = TinyProblem.Data();
        var (p, s) = TinyProblem.Init(seed: 100);
        var trainer = DataParallel.Create<TinyProblem.Batch>(mpi, TinyProblem.Loss, TinyProblem.Optimizer(), b => b.X.shape[0]);
        var state = trainer.Init(p, 0, s);
        var shards = TinyProblem.Pass(ShardSampler.For(mpi), x, y, 0);
        state = trainer.Fit(state, mpi.Rank == 1 ? shards.Take(2) : shards);
        Console.WriteLine($"rank {mpi.Rank}: finished (should not happen) at step {state.Step}");
        return 0;
    }

    /// <summary>Rank 0's checkpoint write (simulated) fails inside OnRoot: both ranks must stop.</summary>
    private static int FailOnRoot(MpiSession mpi)
    {
        var ranOn = new List<int>();
        mpi.OnRoot(() => ranOn.Add(mpi.Rank));
        Console.WriteLine($"rank {mpi.Rank}: first_on_root_ran_here={ranOn.Count == 1}");
        mpi.OnRoot(() => throw new IOException("disk full (simulated) while writing model.safetensors"));
        Console.WriteLine($"rank {mpi.Rank}: finished (should not happen)");
        return 0;
    }

    /// <summary>The ranks pass different seeds to Init: every rank must refuse to start.</summary>
    private static int SeedMismatch(MpiSession mpi)
    {
        var (p, s) = TinyProblem.Init(seed: 100);
        var trainer = DataParallel.Create<TinyProblem.Batch>(mpi, TinyProblem.Loss, TinyProblem.Optimizer());
        trainer.Init(p, seed: mpi.Rank, s);
        Console.WriteLine($"rank {mpi.Rank}: finished (should not happen)");
        return 0;
    }

    /// <summary>The README's "Data-parallel training on MPI" sample: the body of its MpiSession.Run lambda, as written there.</summary>
    private static int Readme(MpiSession mpi)
    {
        using var g = new torch.Generator(0);                            // the same data on every rank
        var images = torch.rand([256, 784], generator: g);
        var labels = torch.randint(10, [256], generator: g);
        var mlp = Hk.Transform((Tensor x) => from m in MLP.Create([64, 10]) from y in m.Call(x) select y);
        var trainer = DataParallel.ForModel(mpi, mlp, ((Tensor X, Tensor Y) b, bool _) => b.X,
            (logits, b) => Losses.SoftmaxCrossEntropy(logits, b.Y), Optimizers.Adam(1e-3), b => b.Y.shape[0]);
        var state = trainer.Init(mlp.Init(0, images), seed: 0);          // rank 0's parameters, broadcast
        var shards = ShardSampler.For(mpi).Batches(256, 64, i => (images.index_select(0, i), labels.index_select(0, i)), RngKey.FromSeed(1));
        state = trainer.Fit(state, shards);                              // each rank: its half of every batch of 64
        var check = mpi.CompareAcrossRanks(state.Params);
        if (mpi.IsRoot) Console.WriteLine($"{mpi.Size} ranks, {state.Step} steps, identical parameters: {check.Identical}");
        return check.Identical ? 0 : 1;
    }

    private static double MaxAbsDiff(Params a, Params b)
    {
        a.RequireSameKeys(b, "compare");
        var max = 0.0;
        foreach (var (k, t) in a)
        {
            using var minusOne = (-1.0).ToScalar();
            using var d = t.to_type(ScalarType.Float64).add(b[k].to_type(ScalarType.Float64), minusOne).abs().max();
            max = Math.Max(max, d.item<double>());
        }
        return max;
    }
}
