using BenchmarkDotNet.Attributes;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Benchmarks;

/// <summary>
/// Init of a 10,006,000-parameter model (1000-2000-2000-2000 linear stack): time and allocations, against creating
/// the TorchSharp module (kaiming uniform). <see cref="MiniHaiku_Init_PreviousTruncatedNormal"/> is the same Init with
/// the truncated normal as it was before the fused one (uniform, out-of-place inverse CDF, copy), passed as a user
/// initializer so that every weight is also scanned for NaN/infinity as before: the "before" of the same run.
/// </summary>
[MemoryDiagnoser]
public class InitBenchmarks
{
    private Tensor input = null!;
    private Transformed<Tensor, Tensor> big = null!, bigPrevious = null!;

    [GlobalSetup]
    public void Setup()
    {
        BenchSettings.Apply();
        input = torch.zeros(1, 1000);
        big = Hk.Transform<Tensor, Tensor>(HaikuModels.Big);
        bigPrevious = Hk.Transform(HaikuModels.BigWith(PreviousTruncatedNormal(1.0 / Math.Sqrt(1000), 1.0 / Math.Sqrt(2000))));
    }

    [Benchmark]
    public long MiniHaiku_Init() => Init(big);

    [Benchmark]
    public long MiniHaiku_Init_PreviousTruncatedNormal() => Init(bigPrevious);

    [Benchmark(Baseline = true)]
    public long TorchSharp_NewModule()
    {
        using var scope = torch.NewDisposeScope();
        using var module = new TorchModels.Big();
        return module.parameters().Sum(t => t.numel());
    }

    private long Init(Transformed<Tensor, Tensor> model)
    {
        using var scope = torch.NewDisposeScope();
        var p = model.Init(0, input);
        var n = p.ElementCount;
        p.DisposeTensors();
        return n;
    }

    /// <summary>
    /// The library's truncated normal before the fused one, step for step: u ~ U(Φ(−2), Φ(2)), z = √2·erfinv(2u − 1)
    /// out of place, clamp, copy back, scale. The stddev is Linear's default 1/√fan_in (the first weight's fan-in is 1000,
    /// the others' 2000).
    /// </summary>
    private static Initializer PreviousTruncatedNormal(double firstStddev, double otherStddev) => (shape, dtype, g) =>
    {
        var stddev = shape[0] == 1000 ? firstStddev : otherStddev;
        var t = torch.empty(shape, dtype: dtype).uniform_(0.022750131948179195, 0.97724986805182079, g);
        using Scalar two = 2.0.ToScalar(), minusOne = (-1.0).ToScalar(), sqrt2 = Math.Sqrt(2.0).ToScalar(),
            lo = (-2.0).ToScalar(), hi = 2.0.ToScalar(), scale = stddev.ToScalar(), zero = 0.0.ToScalar(), one = 1.0.ToScalar();
        using var z = t.mul(two).add_(minusOne, one).erfinv_().mul_(sqrt2).clamp_(lo, hi);
        return t.copy_(z).mul_(scale).add_(zero, one);
    };
}
