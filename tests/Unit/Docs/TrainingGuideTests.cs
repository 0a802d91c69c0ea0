using MiniHaiku.Checkpoints;
using MiniHaiku.Layers;
using MiniHaiku.Optim;
using MiniHaiku.Summaries;
using MiniHaiku.Training;

namespace MiniHaiku.Tests.Docs;

/// <summary>The code sample of docs/training.md, compiled and run; the guide must quote it verbatim.</summary>
public sealed class TrainingGuideTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("minihaiku-guide-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private sealed class Recorder : IProgress<TrainProgress>
    {
        public List<TrainProgress> Reports { get; } = [];
        public void Report(TrainProgress value) => Reports.Add(value);
    }

    [Fact]
    public void GuideSampleRunsAndLearns()
    {
        var path = Path.Combine(dir, "mlp.safetensors");
        var progress = new Recorder();
        // begin-sample
        // A model: one hidden layer, written with Hk.GetParam directly (layers work the same way).
        var model = Hk.Transform((Tensor x) =>
            from w1 in Hk.GetParam("w1", [x.shape[^1], 16], Initializers.LecunNormal())
            from b1 in Hk.GetParam("b1", [16], Initializers.Zeros())
            from w2 in Hk.GetParam("w2", [16, 1], Initializers.LecunNormal())
            select torch.nn.functional.relu(x.matmul(w1) + b1).matmul(w2));

        // Data: learn y = sum(x) from fixed batches.
        using var gen = new torch.Generator(42);
        var batches = Enumerable.Range(0, 200).Select(_ => torch.randn([32, 4], generator: gen))
            .Select(x => (X: x, Y: x.sum(1, keepdim: true))).ToList();
        var parameters = model.Init(seed: 0, batches[0].X);
        Console.WriteLine(Summary.Tabulate(model, batches[0].X));

        // Gradients: a pure function of the parameters.
        var valueAndGrad = Grad.ValueAndGrad(p => (model.Apply(p, batches[0].X) - batches[0].Y).square().mean());
        var (loss, grads) = valueAndGrad(parameters);

        // One optimizer step by hand: Init, Update, ApplyUpdates.
        var optimizer = Optimizers.Chain(
            Optimizers.ClipByGlobalNorm(1.0),
            Optimizers.AdamW(Schedule.WarmupCosineDecay(1e-3, 1e-2, warmupSteps: 10, decaySteps: 200)));
        var optState = optimizer.Init(parameters);
        var (updates, nextOptState) = optimizer.Update(grads, optState, parameters);
        var stepped = parameters.ApplyUpdates(updates);

        // The same, in a loop that owns tensor lifetimes and reports progress.
        var trainer = Trainer.ForModel(model,
            ((Tensor X, Tensor Y) b, bool isTraining) => b.X,
            (Tensor yHat, (Tensor X, Tensor Y) b) => (yHat - b.Y).square().mean(),
            optimizer, batchSize: b => b.X.shape[0]);
        var final = trainer.Fit(trainer.Init(parameters, seed: 1), batches, progress, reportEvery: 50);

        // Checkpoints: atomic safetensors files, validated on load.
        Checkpoint.Save(path, final);
        var restored = Checkpoint.LoadTrainState(path, trainer.Init(parameters, seed: 1));
        // end-sample

        Assert.True(loss.item<float>() > 0);
        Assert.Equal(1, nextOptState.Inner[1].Inner[0].Count);
        Assert.False(stepped.BitwiseEquals(parameters));
        Assert.Equal(4, progress.Reports.Count);
        Assert.True(progress.Reports[^1].Loss < 0.1 * loss.item<float>(), $"{loss.item<float>()} -> {progress.Reports[^1].Loss}");
        Assert.Equal(200, restored.Step);
        Assert.True(restored.Params.BitwiseEquals(final.Params));
    }

    [Fact]
    public void HandWrittenLoopSampleLearnsAndStaysFlat()
    {
        // begin-loop-sample
        var net = Hk.Transform((Tensor x) => from mlp in MLP.Create([32, 1]) from y in mlp.Call(x) select y);
        using var g = new torch.Generator(0);
        var x = torch.randn([64, 4], generator: g);
        var y = x.sum(1, keepdim: true);
        var opt = Optimizers.Adam(1e-2);
        var p = net.Init(seed: 0, x);
        var s = opt.Init(p);
        var (losses, liveTensors) = (new List<float>(), new List<long>());
        for (var step = 0; step < 300; step++)
        {
            (p, s) = TensorScope.Advance(p, s, (p, s) =>
            {
                var (loss, grads) = Grad.ValueAndGrad(q => (net.Apply(q, x) - y).square().mean())(p);
                losses.Add(loss.item<float>()); // read values here: the step's temporaries die with it
                var (updates, next) = opt.Update(grads, s, p);
                return (p.ApplyUpdates(updates), next);
            });
            liveTensors.Add(DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount); // the same every step
        }
        // end-loop-sample

        Assert.Single(liveTensors.Distinct());
        Assert.True(losses[^1] < 0.05 * losses[0], $"{losses[0]} -> {losses[^1]}");
    }

    [Theory]
    [InlineData("sample")]
    [InlineData("loop-sample")]
    public void GuideQuotesTheSamplesVerbatim(string marker)
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "MiniHaiku.sln"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found");
        var source = File.ReadAllText(Path.Combine(root, "tests", "Unit", "Docs", "TrainingGuideTests.cs"));
        var begin = source.IndexOf("// begin-" + marker + "\n", StringComparison.Ordinal);
        var end = source.IndexOf("// end-" + marker + "\n", begin + 1, StringComparison.Ordinal);
        var lines = source[begin..end].Split('\n').Skip(1).Select(l => l.TrimEnd('\r')).ToList();
        var sample = string.Join("\n", lines.Select(l => l.Length >= 8 ? l[8..] : l.TrimStart())).TrimEnd();
        var guide = File.ReadAllText(Path.Combine(root, "docs", "training.md")).Replace("\r\n", "\n");
        Assert.Contains(sample, guide);
    }
}
