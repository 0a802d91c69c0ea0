using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// In-process (TorchSharp's natives are loaded from this build's output, patched for the host's
// libstdc++), a short job: 3 warm-up and 10 measured iterations. Pass --job/--filter etc. as usual.
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

var config = DefaultConfig.Instance
    .AddJob(Job.ShortRun.WithWarmupCount(3).WithIterationCount(10).WithLaunchCount(1)
        .WithToolchain(InProcessEmitToolchain.Instance).AsDefault())
    .WithOptions(ConfigOptions.JoinSummary);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
