using BenchmarkDotNet.Attributes;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Benchmarks;

/// <summary>Init of a 10,006,000-parameter model (1000-2000-2000-2000 linear stack): time and allocations.</summary>
[MemoryDiagnoser]
public class InitBenchmarks
{
    private Tensor input = null!;
    private Transformed<Tensor, Tensor> big = null!;

    [GlobalSetup]
    public void Setup()
    {
        BenchSettings.Apply();
        input = torch.zeros(1, 1000);
        big = Hk.Transform<Tensor, Tensor>(HaikuModels.Big);
    }

    [Benchmark]
    public long MiniHaiku_Init()
    {
        using var scope = torch.NewDisposeScope();
        var p = big.Init(0, input);
        var n = p.ElementCount;
        p.DisposeTensors();
        return n;
    }

    [Benchmark(Baseline = true)]
    public long TorchSharp_NewModule()
    {
        using var scope = torch.NewDisposeScope();
        using var module = new TorchModels.Big();
        return module.parameters().Sum(t => t.numel());
    }
}
