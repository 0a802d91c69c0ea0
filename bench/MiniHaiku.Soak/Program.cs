using System.Globalization;
using MiniHaiku;
using MiniHaiku.Optim;
using MiniHaiku.Soak;
using MiniHaiku.Training;
using TorchSharp;
using static TorchSharp.torch;

// Soak test: trains an MLP for many steps and checks that native memory stays flat, either with
// Trainer.Fit (mode fit), with a hand-written pure loop whose steps run through TensorScope.Advance
// (mode advance), or with the same loop without it (mode naive: shows the leak Advance prevents).
// Mode failures runs [steps] Trainer.Fit calls that each fail at step 3 and checks that none leaks.
// Usage: dotnet run -c Release --project bench/MiniHaiku.Soak [steps=5000] [reportEvery=500] [fit|advance|naive|failures]
var steps = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5000;
var every = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 500;
var mode = args.Length > 2 ? args[2] : "fit";
if (mode is not ("fit" or "advance" or "naive" or "failures"))
{
    Console.Error.WriteLine($"Unknown mode '{mode}': use fit, advance, naive or failures.");
    return 2;
}
const int batchSize = 64, inputs = 32;
torch.set_num_threads(1);
if (mode == "failures") return FailureSoak.Run(steps, every, RssKb);

// A fixed pool of batches, cycled: the data tensors are allocated once, before training.
var batches = new List<(Tensor X, Tensor Y)>();
using (var g = new torch.Generator(7))
{
    var teacher = torch.randn([inputs, 1], generator: g);
    for (var i = 0; i < 16; i++)
    {
        var x = torch.randn([batchSize, inputs], generator: g);
        batches.Add((x, torch.tanh(x.matmul(teacher))));
    }
}
IEnumerable<(Tensor X, Tensor Y)> Cycle()
{
    for (var i = 0; i < steps; i++) yield return batches[i % batches.Count];
}

var model = Hk.Transform((Tensor x) => from m in Mlp.Create([64, 64, 1]) from y in m.Call(x) select y);
var optimizer = Optimizers.Chain(Optimizers.ClipByGlobalNorm(1.0), Optimizers.Adam(Schedule.WarmupCosineDecay(0, 3e-3, 100, steps, 1e-4)));
var trainer = Trainer.ForModel(model, ((Tensor X, Tensor Y) b, bool _) => b.X, (Tensor y, (Tensor X, Tensor Y) b) => (y - b.Y).square().mean(), optimizer, b => b.X.shape[0]);
var start = trainer.Init(model.Init(0, batches[0].X), seed: 1);

static long RssKb()
{
    foreach (var line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    return Environment.WorkingSet / 1024;
}

var rows = new List<(long Step, long RssKb, long Live)>();
Console.WriteLine($"MLP {inputs}-64-64-1, batch {batchSize}, Adam + clip + warmup-cosine, {steps} steps, mode {mode}");
Console.WriteLine($"{"step",6} {"loss",10} {"samples/s",10} {"RSS MB",8} {"live tensors",13}");
var progress = new SyncProgress(p =>
{
    var rss = RssKb();
    var live = torch.Tensor.TotalCount;
    rows.Add((p.Step, rss, live));
    Console.WriteLine($"{p.Step,6} {p.Loss,10:F6} {p.SamplesPerSecond,10:F0} {rss / 1024.0,8:F1} {live,13}");
});
TrainState final;
if (mode == "fit")
{
    final = trainer.Fit(start, Cycle(), progress, every);
}
else
{
    // The hand-written loop of docs/training.md: a pure step, kept flat by TensorScope.Advance.
    var (p, s) = (start.Params, start.OptState);
    var clock = System.Diagnostics.Stopwatch.StartNew();
    var lastReport = TimeSpan.Zero;
    var step = 0;
    foreach (var batch in Cycle())
    {
        double loss = 0;
        (Params, OptState) PureStep(Params p, OptState s)
        {
            var (value, grads) = Grad.ValueAndGrad(q => (model.Apply(q, batch.X) - batch.Y).square().mean())(p);
            loss = value.item<float>();
            var (updates, next) = optimizer.Update(grads, s, p);
            return (p.ApplyUpdates(updates), next);
        }
        (p, s) = mode == "advance" ? TensorScope.Advance(p, s, PureStep) : PureStep(p, s);
        if (++step % every == 0)
        {
            var now = clock.Elapsed;
            progress.Report(new TrainProgress(step, loss, every * batchSize / (now - lastReport).TotalSeconds, now));
            lastReport = now;
        }
    }
    final = start with { Params = p, OptState = s, Step = step };
}

var warm = rows.Where(r => r.Step >= 1000).ToList();
var liveConstant = warm.Count > 0 && warm.All(r => r.Live == warm[0].Live);
var r1000 = rows.FirstOrDefault(r => r.Step == 1000);
var rLast = rows[^1];
var growth = r1000.RssKb > 0 ? (rLast.RssKb - r1000.RssKb) * 100.0 / r1000.RssKb : double.NaN;
Console.WriteLine($"live tensors constant from step 1000 on: {(liveConstant ? "yes" : "NO")} ({string.Join(", ", warm.Select(r => r.Live).Distinct())})");
Console.WriteLine($"RSS growth step 1000 -> {rLast.Step}: {growth:F2}% ({r1000.RssKb / 1024.0:F1} MB -> {rLast.RssKb / 1024.0:F1} MB): {(growth < 5 ? "under 5%" : "NOT under 5%")}");
final.DisposeTensors();
return liveConstant && growth < 5 ? 0 : 1;

/// <summary>Reports synchronously on the training thread (Progress&lt;T&gt; would post to the thread pool).</summary>
internal sealed class SyncProgress(Action<TrainProgress> report) : IProgress<TrainProgress>
{
    public void Report(TrainProgress value) => report(value);
}
