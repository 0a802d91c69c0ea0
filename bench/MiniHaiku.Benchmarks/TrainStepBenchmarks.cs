using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using MiniHaiku.Layers;
using MiniHaiku.Optim;
using MiniHaiku.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Benchmarks;

/// <summary>
/// One training step (forward, gradients, Adam update) of the MLP 784-256-128-10 at batch 128 and of
/// the CNN at batch 64: MiniHaiku's Trainer versus a TorchSharp nn.Module with torch.optim.Adam.
/// Both read the loss back as a number each step.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class TrainStepBenchmarks
{
    private (Tensor X, Tensor Y) mlpBatch, cnnBatch;
    private Trainer<(Tensor X, Tensor Y)> mlpTrainer = null!, cnnTrainer = null!;
    private TrainState mlpState = null!, cnnState = null!;
    private TorchModels.Mlp torchMlp = null!;
    private TorchModels.Cnn torchCnn = null!;
    private optim.Optimizer torchMlpAdam = null!, torchCnnAdam = null!;

    [GlobalSetup]
    public void Setup()
    {
        BenchSettings.Apply();
        using var g = new Generator(7);
        mlpBatch = (torch.rand(128, 1, 28, 28, generator: g), torch.randint(0, 10, [128], generator: g));
        cnnBatch = (torch.rand(64, 1, 28, 28, generator: g), torch.randint(0, 10, [64], generator: g));

        var mlp = Hk.Transform<Tensor, Tensor>(HaikuModels.Mlp);
        mlpTrainer = Trainer.ForModel(mlp, ((Tensor X, Tensor Y) b, bool _) => b.X,
            (logits, b) => Losses.SoftmaxCrossEntropy(logits, b.Y), Optimizers.Adam(1e-3));
        mlpState = mlpTrainer.Init(mlp.Init(0, mlpBatch.X), seed: 0);

        var cnn = Hk.TransformWithState<(Tensor X, bool Training), Tensor>(HaikuModels.Cnn);
        cnnTrainer = Trainer.ForModel(cnn, ((Tensor X, Tensor Y) b, bool training) => (b.X, training),
            (logits, b) => Losses.SoftmaxCrossEntropy(logits, b.Y), Optimizers.Adam(1e-3));
        var (cnnParams, cnnModelState) = cnn.Init(0, (cnnBatch.X, true));
        cnnState = cnnTrainer.Init(cnnParams, seed: 0, cnnModelState);

        torch.manual_seed(0);
        torchMlp = new TorchModels.Mlp();
        torchMlpAdam = optim.Adam(torchMlp.parameters(), 1e-3);
        torchCnn = new TorchModels.Cnn();
        torchCnn.train();
        torchCnnAdam = optim.Adam(torchCnn.parameters(), 1e-3);
    }

    [BenchmarkCategory("TrainStep MLP b128"), Benchmark]
    public double MiniHaiku_Mlp() => Step(mlpTrainer, ref mlpState, mlpBatch);

    [BenchmarkCategory("TrainStep MLP b128"), Benchmark(Baseline = true)]
    public double TorchSharp_Mlp() => TorchStep(torchMlp, torchMlpAdam, mlpBatch);

    [BenchmarkCategory("TrainStep CNN b64"), Benchmark]
    public double MiniHaiku_Cnn() => Step(cnnTrainer, ref cnnState, cnnBatch);

    [BenchmarkCategory("TrainStep CNN b64"), Benchmark(Baseline = true)]
    public double TorchSharp_Cnn() => TorchStep(torchCnn, torchCnnAdam, cnnBatch);

    internal static double Step(Trainer<(Tensor X, Tensor Y)> trainer, ref TrainState state, (Tensor X, Tensor Y) batch)
    {
        var (next, loss) = trainer.Step(state, batch);
        var live = new HashSet<Tensor>(next.Tensors(), ReferenceEqualityComparer.Instance);
        foreach (var t in state.Tensors())
            if (!live.Contains(t)) t.Dispose();
        state = next;
        return loss;
    }

    internal static double TorchStep(nn.Module<Tensor, Tensor> module, optim.Optimizer adam, (Tensor X, Tensor Y) batch)
    {
        using var scope = torch.NewDisposeScope();
        adam.zero_grad();
        var loss = nn.functional.cross_entropy(module.forward(batch.X), batch.Y);
        loss.backward();
        adam.step();
        return loss.item<float>();
    }
}
