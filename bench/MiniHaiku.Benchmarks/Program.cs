using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// In-process (TorchSharp's natives are loaded from this build's output, patched for the host's
// libstdc++), a short job: 3 warm-up and 10 measured iterations (--quick: 1 and 5). Pass --filter etc. as usual.
if (args.Contains("--remat"))
{
    MiniHaiku.Benchmarks.RematBench.Run(args.Where(a => a != "--remat").ToArray());
    return;
}
if (args.Contains("--profile"))
{
    MiniHaiku.Benchmarks.Profile.Run(args.Where(a => a != "--profile").ToArray());
    return;
}

// --quick: 1 warm-up and 5 measured iterations of ≥ 250 ms, for a smoke run or a first look (ratios only roughly).
var quick = args.Contains("--quick");
var job = quick
    ? Job.ShortRun.WithWarmupCount(1).WithIterationCount(5).WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(250))
    : Job.ShortRun.WithWarmupCount(3).WithIterationCount(10);
var config = DefaultConfig.Instance
    .AddJob(job.WithLaunchCount(1).WithToolchain(InProcessEmitToolchain.Instance).AsDefault())
    .WithOptions(ConfigOptions.JoinSummary);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args.Where(a => a != "--quick").ToArray(), config);
