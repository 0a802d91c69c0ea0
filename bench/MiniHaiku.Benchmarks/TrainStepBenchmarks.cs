using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using MiniHaiku.Layers;
using MiniHaiku.Optim;
using MiniHaiku.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Benchmarks;

/// <summary>
/// One training step (forward, gradients, Adam update) of the MLP 784-256-128-10 at batch 128, the deep narrow
/// MLP 24×Linear(64) at batch 32, the 4-block Transformer at B = 8, T = 64, and the CNN at batch 64: MiniHaiku's
/// Trainer versus a TorchSharp nn.Module with torch.optim.Adam. Both read the loss back as a number each step.
/// The TrainStep rows time <c>Trainer.Step</c> (pure: its input state stays intact); the Fit rows time
/// <c>Trainer.Fit</c> over in-memory batches, per step, against as many TorchSharp steps.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class TrainStepBenchmarks
{
    private (Tensor X, Tensor Y) mlpBatch, cnnBatch, deepBatch, transformerBatch;
    private Trainer<(Tensor X, Tensor Y)> mlpTrainer = null!, cnnTrainer = null!, deepTrainer = null!, transformerTrainer = null!;
    private TrainState mlpState = null!, cnnState = null!, deepState = null!, transformerState = null!;
    private TrainState mlpFitState = null!, deepFitState = null!, transformerFitState = null!;
    private TorchModels.Mlp torchMlp = null!;
    private TorchModels.Cnn torchCnn = null!;
    private TorchModels.DeepNarrow torchDeep = null!;
    private TorchModels.Transformer torchTransformer = null!;
    private optim.Optimizer torchMlpAdam = null!, torchCnnAdam = null!, torchDeepAdam = null!, torchTransformerAdam = null!;

    [GlobalSetup]
    public void Setup()
    {
        BenchSettings.Apply();
        using var g = new Generator(7);
        mlpBatch = (torch.rand(128, 1, 28, 28, generator: g), torch.randint(0, 10, [128], generator: g));
        cnnBatch = (torch.rand(64, 1, 28, 28, generator: g), torch.randint(0, 10, [64], generator: g));
        deepBatch = (torch.rand(32, 64, generator: g), torch.randint(0, 10, [32], generator: g));
        transformerBatch = (torch.randint(0, HaikuModels.TransformerVocab, [8, 64], generator: g),
            torch.randint(0, HaikuModels.TransformerVocab, [8, 64], generator: g));

        var mlp = Hk.Transform<Tensor, Tensor>(HaikuModels.Mlp);
        mlpTrainer = Trainer.ForModel(mlp, ((Tensor X, Tensor Y) b, bool _) => b.X,
            (logits, b) => Losses.SoftmaxCrossEntropy(logits, b.Y), Optimizers.Adam(1e-3));
        mlpState = mlpTrainer.Init(mlp.Init(0, mlpBatch.X), seed: 0);
        mlpFitState = mlpTrainer.Init(mlp.Init(0, mlpBatch.X), seed: 0);

        var cnn = Hk.TransformWithState<(Tensor X, bool Training), Tensor>(HaikuModels.Cnn);
        cnnTrainer = Trainer.ForModel(cnn, ((Tensor X, Tensor Y) b, bool training) => (b.X, training),
            (logits, b) => Losses.SoftmaxCrossEntropy(logits, b.Y), Optimizers.Adam(1e-3));
        var (cnnParams, cnnModelState) = cnn.Init(0, (cnnBatch.X, true));
        cnnState = cnnTrainer.Init(cnnParams, seed: 0, cnnModelState);

        (deepTrainer, deepState) = PlainTrainer(HaikuModels.DeepNarrow, deepBatch);
        (transformerTrainer, transformerState) = PlainTrainer(HaikuModels.Transformer, transformerBatch);
        deepFitState = deepTrainer.Init(Hk.Transform<Tensor, Tensor>(HaikuModels.DeepNarrow).Init(0, deepBatch.X), seed: 0);
        transformerFitState = transformerTrainer.Init(Hk.Transform<Tensor, Tensor>(HaikuModels.Transformer).Init(0, transformerBatch.X), seed: 0);

        torch.manual_seed(0);
        torchMlp = new TorchModels.Mlp();
        torchMlpAdam = optim.Adam(torchMlp.parameters(), 1e-3);
        torchCnn = new TorchModels.Cnn();
        torchCnn.train();
        torchCnnAdam = optim.Adam(torchCnn.parameters(), 1e-3);
        torchDeep = new TorchModels.DeepNarrow();
        torchDeepAdam = optim.Adam(torchDeep.parameters(), 1e-3);
        torchTransformer = new TorchModels.Transformer();
        torchTransformerAdam = optim.Adam(torchTransformer.parameters(), 1e-3);

        RequireSameParameters("deep narrow MLP", deepState, torchDeep, 50);
        RequireSameParameters("Transformer", transformerState, torchTransformer, 69);
    }

    private static (Trainer<(Tensor X, Tensor Y)>, TrainState) PlainTrainer(Func<Tensor, Model<Tensor>> model, (Tensor X, Tensor Y) batch)
    {
        var transformed = Hk.Transform(model);
        var trainer = Trainer.ForModel(transformed, ((Tensor X, Tensor Y) b, bool _) => b.X,
            (logits, b) => Losses.SoftmaxCrossEntropy(logits, b.Y), Optimizers.Adam(1e-3));
        return (trainer, trainer.Init(transformed.Init(0, batch.X), seed: 0));
    }

    // Both sides must train the same number of tensors and values, or the comparison is not like for like.
    private static void RequireSameParameters(string what, TrainState state, nn.Module module, int tensors)
    {
        var torchParams = module.parameters().ToList();
        long haikuCount = state.Params.ElementCount, torchCount = torchParams.Sum(t => t.numel());
        if (state.Params.Count != tensors || torchParams.Count != tensors || haikuCount != torchCount)
            throw new InvalidOperationException(
                $"{what}: MiniHaiku has {state.Params.Count} tensors ({haikuCount} values), TorchSharp {torchParams.Count} ({torchCount}); expected {tensors} tensors each and equal counts.");
    }

    [BenchmarkCategory("TrainStep MLP b128"), Benchmark]
    public double MiniHaiku_Mlp() => Step(mlpTrainer, ref mlpState, mlpBatch);

    [BenchmarkCategory("TrainStep MLP b128"), Benchmark(Baseline = true)]
    public double TorchSharp_Mlp() => TorchStep(torchMlp, torchMlpAdam, mlpBatch);

    [BenchmarkCategory("TrainStep deep narrow MLP b32"), Benchmark]
    public double MiniHaiku_DeepNarrow() => Step(deepTrainer, ref deepState, deepBatch);

    [BenchmarkCategory("TrainStep deep narrow MLP b32"), Benchmark(Baseline = true)]
    public double TorchSharp_DeepNarrow() => TorchStep(torchDeep, torchDeepAdam, deepBatch);

    [BenchmarkCategory("TrainStep Transformer B8 T64"), Benchmark]
    public double MiniHaiku_Transformer() => Step(transformerTrainer, ref transformerState, transformerBatch);

    [BenchmarkCategory("TrainStep Transformer B8 T64"), Benchmark(Baseline = true)]
    public double TorchSharp_Transformer() => TorchStep(torchTransformer, torchTransformerAdam, transformerBatch);

    // Fit rows: the loop users run (Trainer.Fit donates the states it made to the next step), per step.
    [BenchmarkCategory("Fit per step MLP b128"), Benchmark(OperationsPerInvoke = FitSteps)]
    public double MiniHaiku_Fit_Mlp() => Fit(mlpTrainer, ref mlpFitState, mlpBatch);

    [BenchmarkCategory("Fit per step MLP b128"), Benchmark(Baseline = true, OperationsPerInvoke = FitSteps)]
    public double TorchSharp_Fit_Mlp() => TorchSteps(torchMlp, torchMlpAdam, mlpBatch);

    [BenchmarkCategory("Fit per step deep narrow MLP b32"), Benchmark(OperationsPerInvoke = FitSteps)]
    public double MiniHaiku_Fit_DeepNarrow() => Fit(deepTrainer, ref deepFitState, deepBatch);

    [BenchmarkCategory("Fit per step deep narrow MLP b32"), Benchmark(Baseline = true, OperationsPerInvoke = FitSteps)]
    public double TorchSharp_Fit_DeepNarrow() => TorchSteps(torchDeep, torchDeepAdam, deepBatch);

    [BenchmarkCategory("Fit per step Transformer B8 T64"), Benchmark(OperationsPerInvoke = FitSteps)]
    public double MiniHaiku_Fit_Transformer() => Fit(transformerTrainer, ref transformerFitState, transformerBatch);

    [BenchmarkCategory("Fit per step Transformer B8 T64"), Benchmark(Baseline = true, OperationsPerInvoke = FitSteps)]
    public double TorchSharp_Fit_Transformer() => TorchSteps(torchTransformer, torchTransformerAdam, transformerBatch);

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

    /// <summary>Steps per Fit call in the Fit rows (each reports the time per step).</summary>
    internal const int FitSteps = 10;

    /// <summary>
    /// <see cref="FitSteps"/> steps of <see cref="Trainer{TBatch}.Fit(TrainState, IEnumerable{TBatch}, IProgress{TrainProgress}, int, CancellationToken)"/>
    /// on the same in-memory batch (the public loop users run); the state passed in is disposed afterwards, as a
    /// caller that moves on would. Returns nothing Fit does not: the final state's step count.
    /// </summary>
    internal static double Fit(Trainer<(Tensor X, Tensor Y)> trainer, ref TrainState state, (Tensor X, Tensor Y) batch)
    {
        var next = trainer.Fit(state, Enumerable.Repeat(batch, FitSteps));
        var live = new HashSet<Tensor>(next.Tensors(), ReferenceEqualityComparer.Instance);
        foreach (var t in state.Tensors())
            if (!live.Contains(t)) t.Dispose();
        state = next;
        return next.Step;
    }

    /// <summary>The TorchSharp side of the Fit rows: <see cref="FitSteps"/> steps.</summary>
    internal static double TorchSteps(nn.Module<Tensor, Tensor> module, optim.Optimizer adam, (Tensor X, Tensor Y) batch)
    {
        double loss = 0;
        for (var i = 0; i < FitSteps; i++) loss = TorchStep(module, adam, batch);
        return loss;
    }

    internal static double TorchStep(nn.Module<Tensor, Tensor> module, optim.Optimizer adam, (Tensor X, Tensor Y) batch)
    {
        using var scope = torch.NewDisposeScope();
        adam.zero_grad();
        var logits = module.forward(batch.X);
        // [B, T, vocab] logits of the Transformer: one class axis, as Losses.SoftmaxCrossEntropy reads them.
        var loss = logits.dim() == 3
            ? nn.functional.cross_entropy(logits.flatten(0, 1), batch.Y.flatten())
            : nn.functional.cross_entropy(logits, batch.Y);
        loss.backward();
        adam.step();
        return loss.item<float>();
    }
}
