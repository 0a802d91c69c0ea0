using TorchSharp;

namespace MiniHaiku.Benchmarks;

/// <summary>Settings shared by every benchmark (one thread count for MiniHaiku and TorchSharp alike).</summary>
public static class BenchSettings
{
    /// <summary>Torch intra-op threads: MINIHAIKU_BENCH_THREADS, default 1.</summary>
    public static int Threads { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("MINIHAIKU_BENCH_THREADS"), out var n) && n > 0 ? n : 1;

    /// <summary>Applies the thread count (call from every GlobalSetup).</summary>
    public static void Apply()
    {
        torch.set_num_threads(Threads);
        if (interopSet) return;
        torch.set_num_interop_threads(1); // allowed once per process, before any parallel work
        interopSet = true;
    }

    private static bool interopSet;
}
