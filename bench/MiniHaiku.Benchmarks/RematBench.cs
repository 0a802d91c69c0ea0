using System.Diagnostics;
using System.Runtime.InteropServices;
using MiniHaiku.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Benchmarks;

/// <summary>
/// Hk.Remat against the same model without it, in one run: the C-heap bytes held between forward and
/// backward (glibc <c>mallinfo2</c>: in-use + mmapped), the peak growth of resident memory over forward and
/// backward (<c>VmHWM</c> after <c>malloc_trim</c> and a peak reset), and the time of one forward + backward. Usage: <c>MiniHaiku.Benchmarks.dll --remat [depth=16] [batch=1024] [width=512]</c>.
/// </summary>
public static class RematBench
{
    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint Arena, Ordblks, Smblks, Hblks, Hblkhd, Usmblks, Fsmblks, Uordblks, Fordblks, Keepcost;
    }

    [DllImport("libc", EntryPoint = "mallinfo2")]
    private static extern MallInfo2 MallInfo();

    private static long BytesInUse()
    {
        var m = MallInfo();
        return (long)(m.Uordblks + m.Hblkhd);
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);

    private static long Status(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0]) * 1024;
        return 0;
    }

    /// <summary>Returns free heap pages to the kernel and resets the peak-RSS mark (Linux: clear_refs 5).</summary>
    private static long ResetPeak()
    {
        MallocTrim(0);
        File.WriteAllText("/proc/self/clear_refs", "5");
        return Status("VmRSS");
    }

    private static Model<Tensor> Block(Tensor x) =>
        from l in Linear.Create((int)x.shape[^1])
        from y in l.Call(x)
        from d in Hk.Dropout(0.1, Activations.Gelu(y))
        select d;

    public static void Run(string[] args)
    {
        var depth = args.Length > 0 ? int.Parse(args[0]) : 16;
        var batch = args.Length > 1 ? int.Parse(args[1]) : 1024;
        var width = args.Length > 2 ? int.Parse(args[2]) : 512;
        torch.set_num_threads(1);
        Transformed<Tensor, Tensor> Make(bool remat) => Hk.Transform((Tensor x) =>
            Hk.Aggregate(Enumerable.Range(0, depth), x, (h, _) => (remat ? Hk.Remat(Block) : Block)(h)).Select(h => h.square().mean()));
        var plain = Make(false);
        var rematted = Make(true);
        var x = torch.randn(batch, width, generator: new torch.Generator(1));
        var p = plain.Init(0, x).Map(t => t.detach().requires_grad_(true));
        Console.WriteLine($"Hk.Remat: {depth} blocks of Linear {width}→{width} + GELU + dropout, batch {batch} (one activation = {batch * width * 4 / 1024.0 / 1024.0:F1} MiB), 1 torch thread");

        (double HeldMiB, double RssMiB, double Ms) Measure(Transformed<Tensor, Tensor> t)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var rssBefore = ResetPeak();
            var before = BytesInUse();
            var clock = Stopwatch.StartNew();
            using var scope = torch.NewDisposeScope();
            var loss = t.Apply(p, x, 5);
            var forward = clock.Elapsed;
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var held = BytesInUse() - before;

            clock.Restart();
            loss.backward();
            var total = forward + clock.Elapsed;
            var rss = Status("VmHWM") - rssBefore;
            foreach (var v in p.Values) v.grad?.zero_();
            return (held / 1024.0 / 1024.0, rss / 1024.0 / 1024.0, total.TotalMilliseconds);
        }

        for (var i = 0; i < 2; i++) { Measure(plain); Measure(rematted); }
        var plainRuns = new List<(double HeldMiB, double RssMiB, double Ms)>();
        var rematRuns = new List<(double HeldMiB, double RssMiB, double Ms)>();
        for (var i = 0; i < 5; i++) { plainRuns.Add(Measure(plain)); rematRuns.Add(Measure(rematted)); }
        static double Median(IEnumerable<double> xs) { var s = xs.Order().ToArray(); return s[s.Length / 2]; }
        var (ph, pr, pt) = (Median(plainRuns.Select(r => r.HeldMiB)), Median(plainRuns.Select(r => r.RssMiB)), Median(plainRuns.Select(r => r.Ms)));
        var (rh, rr, rt) = (Median(rematRuns.Select(r => r.HeldMiB)), Median(rematRuns.Select(r => r.RssMiB)), Median(rematRuns.Select(r => r.Ms)));
        Console.WriteLine($"{"",8} {"C heap held after forward (MiB)",32} {"peak RSS growth (MiB)",22} {"forward+backward (ms)",22}");
        Console.WriteLine($"{"plain",8} {ph,32:F1} {pr,22:F1} {pt,22:F1}");
        Console.WriteLine($"{"remat",8} {rh,32:F1} {rr,22:F1} {rt,22:F1}");
        Console.WriteLine($"{"ratio",8} {rh / ph,32:F3} {rr / pr,22:F3} {rt / pt,22:F3}   (remat / plain, medians of 5)");
    }
}
