using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using MiniHaiku;
using MiniHaiku.Distributed;
using MiniHaiku.Layers;
using MiniHaiku.Optim;
using MiniHaiku.Training;
using TorchSharp;
using static TorchSharp.torch;

// Data-parallel train-step benchmark. Without arguments it is the driver: it starts this program under
// `mpiexec -n 1` (1 torch thread), `mpiexec -n 1` (2 torch threads: the other way to use a second core, the
// peer) and `mpiexec -n 2` (1 thread per rank), in turn, for a few rounds, and prints one table. With --worker
// it is one rank of such a job. Options: --rounds R (default 3), --steps S (default 20), --warmup W (default 5).
var options = Options.Parse(args);
return options.Worker ? Worker.Run(options) : Driver.Run(options);

internal sealed record Options(bool Worker, int Rounds, int Steps, int Warmup, int Threads)
{
    public static Options Parse(string[] args)
    {
        var worker = false; int rounds = 3, steps = 20, warmup = 5, threads = 1;
        for (var i = 0; i < args.Length; i++)
            switch (args[i])
            {
                case "--worker": worker = true; break;
                case "--rounds": rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--steps": steps = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--warmup": warmup = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--threads": threads = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown option '{args[i]}' (use --rounds R, --steps S, --warmup W)");
            }
        return new Options(worker, rounds, steps, warmup, threads);
    }

    public string WorkerArgs(int threads) => $"--worker --steps {Steps} --warmup {Warmup} --threads {threads}";
}

internal static class Driver
{
    public static int Run(Options o)
    {
        var mpiexec = File.Exists("/usr/bin/mpiexec.mpich") ? "/usr/bin/mpiexec.mpich" : "mpiexec";
        var self = typeof(Driver).Assembly.Location;
        Console.WriteLine($"load average at start: {LoadAverage()}; {Environment.ProcessorCount} cores; {o.Rounds} rounds × (n=1 × 1 thread, n=1 × 2 threads, n=2 × 1 thread), {o.Steps} measured steps after {o.Warmup} warm-up");
        var results = new List<Dictionary<string, string>>();
        for (var round = 1; round <= o.Rounds; round++)
            foreach (var (ranks, threads) in Configs)
            {
                var info = new ProcessStartInfo(mpiexec) { RedirectStandardOutput = true, UseShellExecute = false };
                foreach (var a in $"-n {ranks} dotnet {self} {o.WorkerArgs(threads)}".Split(' ')) info.ArgumentList.Add(a);
                using var p = Process.Start(info)!;
                var output = p.StandardOutput.ReadToEnd();
                p.WaitForExit();
                if (p.ExitCode != 0) { Console.Error.WriteLine($"mpiexec -n {ranks} failed ({p.ExitCode}):\n{output}"); return 1; }
                foreach (Match m in Regex.Matches(output, @"^RESULT (.*)$", RegexOptions.Multiline))
                {
                    var row = m.Groups[1].Value.Split(' ').Select(kv => kv.Split('=')).ToDictionary(kv => kv[0], kv => kv[1]);
                    row["round"] = round.ToString(CultureInfo.InvariantCulture);
                    results.Add(row);
                }
            }
        Console.WriteLine($"load average at end: {LoadAverage()}");
        Console.WriteLine();
        Console.WriteLine("Medians over rounds of each run's median step (ms); best = the fastest step of all rounds. step = wall time of one data-parallel step (slowest rank);");
        Console.WriteLine("in MPI = time inside the step's Allreduce calls, waiting for the other rank included; allreduce alone = the same");
        Console.WriteLine("buffer all-reduced right after a barrier (the transfer itself); Trainer.Step = the single-process trainer on the whole batch.");
        Console.WriteLine();
        Console.WriteLine("| model | global batch | ranks × threads | step ms | best step ms | samples/s | speed-up vs 1 × 1 | in MPI ms | allreduce alone ms | Trainer.Step ms (best) |");
        Console.WriteLine("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var model in results.Select(r => r["model"]).Distinct())
        {
            double Median(int ranks, int threads, string key) => MedianOf(results.Where(r => r["model"] == model && r["ranks"] == ranks.ToString(CultureInfo.InvariantCulture)
                    && r["threads"] == threads.ToString(CultureInfo.InvariantCulture) && r.ContainsKey(key))
                .Select(r => double.Parse(r[key], CultureInfo.InvariantCulture)));
            var batch = results.First(r => r["model"] == model)["batch"];
            var one = Median(1, 1, "step_ms");
            foreach (var (ranks, threads) in Configs)
            {
                var step = Median(ranks, threads, "step_ms");
                var trainer = Median(ranks, threads, "trainer_ms");
                var best = results.Where(r => r["model"] == model && r["ranks"] == ranks.ToString(CultureInfo.InvariantCulture) && r["threads"] == threads.ToString(CultureInfo.InvariantCulture))
                    .Min(r => double.Parse(r["step_best_ms"], CultureInfo.InvariantCulture));
                var trainerBest = results.Where(r => r["model"] == model && r.ContainsKey("trainer_best_ms")).Select(r => double.Parse(r["trainer_best_ms"], CultureInfo.InvariantCulture)).DefaultIfEmpty(double.NaN).Min();
                var baseline = double.IsNaN(trainer) ? "" : string.Create(CultureInfo.InvariantCulture, $"{trainer:F2} ({trainerBest:F2})");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {model} | {batch} | {ranks} × {threads} | {step:F2} | {best:F2} | {double.Parse(batch, CultureInfo.InvariantCulture) / step * 1000:F0} | {one / step:F2}× | {Median(ranks, threads, "comm_ms"):F2} | {Median(ranks, threads, "allreduce_ms"):F2} | {baseline} |"));
            }
        }
        Console.WriteLine();
        Console.WriteLine("Each run (median over its steps, ms): model ranks round: step / in MPI / allreduce alone");
        foreach (var r in results)
            Console.WriteLine($"  {r["model"]} {r["ranks"]} × {r["threads"]} round {r["round"]}: {r["step_ms"]} / {r["comm_ms"]} / {r["allreduce_ms"]}");
        return 0;
    }

    private static readonly (int Ranks, int Threads)[] Configs = [(1, 1), (1, 2), (2, 1)];

    private static double MedianOf(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        if (v.Length == 0) return double.NaN;
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}

internal static class Worker
{
    public static int Run(Options o) => MpiSession.Run(torchThreads: o.Threads, body: mpi =>
    {
        using (var g = new Generator(1))
        {
            var x = randn([128, 1, 28, 28], generator: g);
            var y = randint(10, [128], generator: g);
            var mlp = Hk.Transform<Tensor, Tensor>(MiniHaiku.Benchmarks.HaikuModels.Mlp);
            Measure(mpi, o, "mlp", x, y,
                () => DataParallel.ForModel(mpi, mlp, ((Tensor X, Tensor Y) b, bool _) => b.X, (logits, b) => Losses.SoftmaxCrossEntropy(logits, b.Y), Optimizers.Adam(1e-3), b => b.Y.shape[0]),
                () => Trainer.ForModel(mlp, ((Tensor X, Tensor Y) b, bool _) => b.X, (logits, b) => Losses.SoftmaxCrossEntropy(logits, b.Y), Optimizers.Adam(1e-3), b => b.Y.shape[0]),
                () => (mlp.Init(0, x), Params.Empty));
        }
        using (var g = new Generator(2))
        {
            var x = randn([64, 1, 28, 28], generator: g);
            var y = randint(10, [64], generator: g);
            var cnn = Hk.TransformWithState<(Tensor X, bool Training), Tensor>(MiniHaiku.Benchmarks.HaikuModels.Cnn);
            Measure(mpi, o, "cnn", x, y,
                () => DataParallel.ForModel(mpi, cnn, ((Tensor X, Tensor Y) b, bool t) => (b.X, t), (logits, b) => Losses.SoftmaxCrossEntropy(logits, b.Y), Optimizers.Adam(1e-3), b => b.Y.shape[0]),
                () => Trainer.ForModel(cnn, ((Tensor X, Tensor Y) b, bool t) => (b.X, t), (logits, b) => Losses.SoftmaxCrossEntropy(logits, b.Y), Optimizers.Adam(1e-3), b => b.Y.shape[0]),
                () => cnn.Init(0, (x, true)));
        }
        return 0;
    });

    private static void Measure(MpiSession mpi, Options o, string name, Tensor x, Tensor y,
        Func<DataParallelTrainer<(Tensor X, Tensor Y)>> makeParallel,
        Func<Trainer<(Tensor X, Tensor Y)>> makeSingle, Func<(Params, Params)> init)
    {
        var (start, count) = ShardSampler.For(mpi).Range(x.shape[0]);
        var shard = (x.narrow(0, start, count).contiguous(), y.narrow(0, start, count).contiguous());
        var trainer = makeParallel();
        var (p0, s0) = init();
        var state = trainer.Init(p0, 0, s0);
        var steps = new double[o.Steps * mpi.Size];
        var comm = new double[o.Steps * mpi.Size];
        // With one rank and one thread, the single-process Trainer.Step runs in the same loop, step for step
        // after the data-parallel one, so both see the same machine load: the overhead of the data-parallel
        // path (packing, the one-rank Allreduce, unpacking) is their difference.
        var peer = mpi.Size == 1 && o.Threads == 1 ? makeSingle() : null;
        TrainState? peerState = null;
        if (peer is not null) { var (p1, s1) = init(); peerState = peer.Init(p1, 0, s1); }
        var peerTimes = new List<double>();
        for (var i = 0; i < o.Warmup + o.Steps; i++)
        {
            mpi.Barrier();
            var clock = Stopwatch.StartNew();
            var (next, _) = trainer.Step(state, shard);
            var elapsed = clock.Elapsed.TotalMilliseconds;
            Replace(ref state, next);
            if (peer is not null)
            {
                clock.Restart();
                var (peerNext, _) = peer.Step(peerState!, (x, y));
                if (i >= o.Warmup) peerTimes.Add(clock.Elapsed.TotalMilliseconds);
                Replace(ref peerState!, peerNext);
            }
            if (i < o.Warmup) continue;
            steps[(i - o.Warmup) * mpi.Size + mpi.Rank] = elapsed;
            comm[(i - o.Warmup) * mpi.Size + mpi.Rank] = trainer.LastCommunicationTime.TotalMilliseconds;
        }
        peerState?.DisposeTensors();
        // Every rank's times, summed into place: slot [step, rank].
        using (var t = tensor(steps)) { mpi.AllreduceSumInPlace(t); steps = t.data<double>().ToArray(); }
        using (var t = tensor(comm)) { mpi.AllreduceSumInPlace(t); comm = t.data<double>().ToArray(); }
        var slowest = Enumerable.Range(0, o.Steps).Select(s => Enumerable.Range(0, mpi.Size).Max(r => steps[s * mpi.Size + r]));
        var commAll = comm;

        // The same amount of data all-reduced right after a barrier: the transfer without waiting.
        var elements = state.Params.ElementCount + state.State.Values.Where(v => v.is_floating_point()).Sum(v => v.numel()) + 2 + 2 * mpi.Size;
        using var buffer = zeros(elements);
        var alone = new List<double>();
        for (var i = 0; i < o.Warmup + o.Steps; i++)
        {
            mpi.Barrier();
            var clock = Stopwatch.StartNew();
            mpi.AllreduceSumInPlace(buffer);
            if (i >= o.Warmup) alone.Add(clock.Elapsed.TotalMilliseconds);
        }

        var trainerMs = peerTimes.Count > 0 ? Median(peerTimes) : double.NaN;
        if (mpi.IsRoot)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"RESULT model={name} batch={x.shape[0]} ranks={mpi.Size} threads={torch.get_num_threads()} params={state.Params.ElementCount} step_ms={Median(slowest):F3} step_best_ms={slowest.Min():F3} comm_ms={Median(commAll):F3} allreduce_ms={Median(alone):F3}{(double.IsNaN(trainerMs) ? "" : $" trainer_ms={trainerMs:F3} trainer_best_ms={peerTimes.Min():F3}")}"));
        state.DisposeTensors();
    }

    private static void Replace(ref TrainState state, TrainState next)
    {
        var live = new HashSet<Tensor>(next.Tensors(), ReferenceEqualityComparer.Instance);
        foreach (var t in state.Tensors().Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>())
            if (!live.Contains(t)) t.Dispose();
        state = next;
    }

    private static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}
