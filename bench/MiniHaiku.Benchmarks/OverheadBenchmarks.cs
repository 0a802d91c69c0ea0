using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Benchmarks;

/// <summary>
/// Framework overhead: Apply of a 2-layer 32-wide MLP at batch 1 versus the same TorchSharp module
/// (both without autograd), and the cost of one GetParam in a model of 200 scalar parameters.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class OverheadBenchmarks
{
    private Tensor tinyInput = null!;
    private Transformed<Tensor, Tensor> tiny = null!;
    private Params tinyParams = null!;
    private TorchModels.Tiny torchTiny = null!;
    private Transformed<Tensor, Tensor> manyParams = null!;
    private Params manyParamsValues = null!;

    [GlobalSetup]
    public void Setup()
    {
        BenchSettings.Apply();
        using var g = new Generator(3);
        tinyInput = torch.rand(1, 32, generator: g);
        tiny = Hk.Transform<Tensor, Tensor>(HaikuModels.Tiny);
        tinyParams = tiny.Init(0, tinyInput);
        torchTiny = new TorchModels.Tiny();
        manyParams = Hk.Transform<Tensor, Tensor>(HaikuModels.TwoHundredParams);
        manyParamsValues = manyParams.Init(0, tinyInput);
        if (manyParamsValues.Count != 200) throw new InvalidOperationException($"expected 200 parameters, got {manyParamsValues.Count}");
    }

    [BenchmarkCategory("Apply tiny MLP b1"), Benchmark]
    public void MiniHaiku_Apply()
    {
        using var noGrad = torch.no_grad();
        tiny.Apply(tinyParams, tinyInput).Dispose();
    }

    [BenchmarkCategory("Apply tiny MLP b1"), Benchmark(Baseline = true)]
    public void TorchSharp_Forward()
    {
        using var noGrad = torch.no_grad();
        torchTiny.forward(tinyInput).Dispose();
    }

    /// <summary>Apply of the 200-parameter model, reported per GetParam (200 per invocation).</summary>
    [BenchmarkCategory("GetParam"), Benchmark(OperationsPerInvoke = 200)]
    public Tensor MiniHaiku_GetParam() => manyParams.Apply(manyParamsValues, tinyInput);
}
