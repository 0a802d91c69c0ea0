// Train-step timing: MiniHaiku's Trainer (Step and Fit; flat fast path and the per-tensor path) next to a TorchSharp
// nn.Module + torch.optim.Adam, interleaved in one process, 1 torch thread. Prints the median over rounds of the mean
// step time, and ratios against TorchSharp. Times are process CPU time (CLOCK_PROCESS_CPUTIME_ID), steadier than wall
// time on a machine shared with other jobs; MINIHAIKU_TIMING_WALL=1 switches to wall-clock time. Usage: dotnet run -c Release --project bench/MiniHaiku.OptimTiming -- [rounds] [steps]
using System.Diagnostics;
using System.Runtime.InteropServices;
using MiniHaiku;
using MiniHaiku.Layers;
using MiniHaiku.Optim;
using MiniHaiku.Training;
using TorchSharp;
using static TorchSharp.torch;

torch.set_num_threads(1);
torch.set_num_interop_threads(1);
var rounds = args.Length > 0 ? int.Parse(args[0]) : 15;
var steps = args.Length > 1 ? int.Parse(args[1]) : 20;
var only = args.Length > 2 ? args[2] : "";
Console.WriteLine($"{(Environment.GetEnvironmentVariable("MINIHAIKU_TIMING_WALL") == "1" ? "wall" : "process CPU")} time, rounds {rounds} x {steps} steps, torch threads {torch.get_num_threads()}, load {File.ReadAllText("/proc/loadavg").Trim()}");

using var g = new Generator(7);
if (only is "" or "mlp")
{
    var x = torch.rand(128, 1, 28, 28, generator: g);
    var y = torch.randint(0, 10, [128], generator: g);
    Run("MLP 784-256-128-10 b128", Hk.Transform<Tensor, Tensor>(Models.Mlp), x, y, () => new TorchModels.Mlp(), rounds, steps);
}
if (only is "" or "deep")
{
    var x = torch.rand(32, 64, generator: g);
    var y = torch.randint(0, 10, [32], generator: g);
    Run("deep narrow 24xLinear(64) b32", Hk.Transform<Tensor, Tensor>(Models.DeepNarrow), x, y, () => new TorchModels.DeepNarrow(), rounds, steps);
}
if (only is "" or "transformer")
{
    var x = torch.randint(0, 256, [8, 64], generator: g);
    var y = torch.randint(0, 256, [8, 64], generator: g);
    Run("Transformer 4x pre-LN D128 T64 B8", Hk.Transform<Tensor, Tensor>(Models.Transformer), x, y, () => new TorchModels.Transformer(), rounds, steps);
}

static void Run(string name, Transformed<Tensor, Tensor> model, Tensor x, Tensor y, Func<nn.Module<Tensor, Tensor>> torchModel, int rounds, int steps)
{
    Tensor Loss(Tensor logits, Tensor labels) => logits.Dimensions == 3
        ? nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), labels.reshape(-1))
        : nn.functional.cross_entropy(logits, labels);
    var adam = Optimizers.Adam(1e-3);
    var perTensorAdam = adam with { InitFunction = p => adam.InitFunction(p) }; // no flat form: the per-tensor path
    var batch = (X: x, Y: y);
    var trainer = Trainer.ForModel(model, ((Tensor X, Tensor Y) b, bool _) => b.X, (logits, b) => Loss(logits, b.Y), adam);
    var slow = Trainer.ForModel(model, ((Tensor X, Tensor Y) b, bool _) => b.X, (logits, b) => Loss(logits, b.Y), perTensorAdam);
    var p0 = model.Init(0, x);
    Console.WriteLine($"{name}: {p0.Count} tensors, {p0.ElementCount:N0} parameters");
    var stepState = trainer.Init(p0.Map(t => t.clone()), 0); // each run owns its tensors (the loops dispose superseded ones)
    var fitState = trainer.Init(p0.Map(t => t.clone()), 0);
    var slowState = slow.Init(p0.Map(t => t.clone()), 0);
    torch.manual_seed(0);
    var module = torchModel();
    var opt = torch.optim.Adam(module.parameters(), 1e-3);
    var batches = Enumerable.Repeat(batch, steps).ToArray();

    double TorchSteps()
    {
        var clock = CpuClock.StartNew();
        for (var i = 0; i < steps; i++)
        {
            using var scope = torch.NewDisposeScope();
            opt.zero_grad();
            var loss = Loss(module.forward(x), y);
            loss.backward();
            opt.step();
            loss.item<float>();
        }
        return clock.ElapsedMilliseconds / steps;
    }
    double StepSteps()
    {
        var clock = CpuClock.StartNew();
        for (var i = 0; i < steps; i++)
        {
            var (next, _) = trainer.Step(stepState, batch);
            var live = new HashSet<Tensor>(next.Tensors(), ReferenceEqualityComparer.Instance);
            foreach (var t in stepState.Tensors()) if (!live.Contains(t)) t.Dispose();
            stepState = next;
        }
        return clock.ElapsedMilliseconds / steps;
    }
    double FitSteps(Trainer<(Tensor X, Tensor Y)> t, ref TrainState state)
    {
        var clock = CpuClock.StartNew();
        var next = t.Fit(state, batches);
        var ms = clock.ElapsedMilliseconds / steps;
        var live = new HashSet<Tensor>(next.Tensors(), ReferenceEqualityComparer.Instance);
        foreach (var tensor in state.Tensors()) if (!live.Contains(tensor)) tensor.Dispose();
        state = next;
        return ms;
    }
    var valueAndGrad = Grad.ValueAndGrad(p => Loss(model.Apply(p, x), y));
    double GradOnly()
    {
        var clock = CpuClock.StartNew();
        for (var i = 0; i < steps; i++)
        {
            using var scope = torch.NewDisposeScope();
            var (value, _) = valueAndGrad(fitState.Params);
            value.item<float>();
        }
        return clock.ElapsedMilliseconds / steps;
    }
    double TorchGradOnly()
    {
        var clock = CpuClock.StartNew();
        for (var i = 0; i < steps; i++)
        {
            using var scope = torch.NewDisposeScope();
            opt.zero_grad();
            var loss = Loss(module.forward(x), y);
            loss.backward();
            loss.item<float>();
        }
        return clock.ElapsedMilliseconds / steps;
    }
    var results = new Dictionary<string, List<double>> { ["TorchSharp"] = [], ["Step"] = [], ["Fit"] = [], ["Fit per-tensor"] = [], ["Torch fwd+bwd"] = [], ["MH fwd+bwd"] = [] };
    for (var r = -1; r < rounds; r++) // round -1 warms up
    {
        var t = TorchSteps();
        var s = StepSteps();
        var f = FitSteps(trainer, ref fitState);
        var pt = FitSteps(slow, ref slowState);
        var tg = TorchGradOnly();
        var mg = GradOnly();
        if (r < 0) continue;
        results["Torch fwd+bwd"].Add(tg);
        results["MH fwd+bwd"].Add(mg);
        results["TorchSharp"].Add(t);
        results["Step"].Add(s);
        results["Fit"].Add(f);
        results["Fit per-tensor"].Add(pt);
    }
    static double Median(List<double> v) { var s = v.OrderBy(a => a).ToArray(); return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2; }
    var baseline = Median(results["TorchSharp"]);
    foreach (var (k, v) in results)
        Console.WriteLine($"  {k,-16} {Median(v),9:F3} ms/step  ratio {Median(v) / baseline:F2}   (min {v.Min():F3})");
    // Paired ratios per round are less sensitive to load drifting between rounds.
    foreach (var k in new[] { "Step", "Fit", "Fit per-tensor" })
        Console.WriteLine($"  paired median ratio {k,-16} {Median(results[k].Zip(results["TorchSharp"], (a, b) => a / b).ToList()):F2}");
    var maxDiff = 0.0;
    foreach (var (path, p) in fitState.Params) maxDiff = Math.Max(maxDiff, (p - slowState.Params[path]).abs().max().item<float>());
    Console.WriteLine($"  max |Fit - Fit per-tensor| over parameters after {(rounds + 1) * steps} steps: {maxDiff:G3}");
}


/// <summary>Process CPU time (all threads), or wall time with MINIHAIKU_TIMING_WALL=1.</summary>
internal sealed partial class CpuClock
{
    private static readonly bool Wall = Environment.GetEnvironmentVariable("MINIHAIKU_TIMING_WALL") == "1";
    private readonly double start = Now();

    public static CpuClock StartNew() => new();

    public double ElapsedMilliseconds => Now() - start;

    private static double Now()
    {
        if (Wall) return Stopwatch.GetTimestamp() * 1000.0 / Stopwatch.Frequency;
        ClockGetTime(2, out var ts); // CLOCK_PROCESS_CPUTIME_ID
        return ts.Seconds * 1000.0 + ts.Nanoseconds / 1e6;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);
}
