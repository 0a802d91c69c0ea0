using MiniHaiku.Checkpoints;
using MiniHaiku.Layers;
using MiniHaiku.Optim;
using MiniHaiku.Training;

namespace MiniHaiku.Tests.Docs;

/// <summary>The training-shell sample of docs/training.md (callbacks, checkpoints, resume, TensorBoard), compiled and run; quoted verbatim.</summary>
public sealed class TrainingShellGuideTests : IDisposable
{
    private readonly string runs = Directory.CreateTempSubdirectory("minihaiku-shell-guide-").FullName;

    public void Dispose() => Directory.Delete(runs, recursive: true);

    [Fact]
    public void ShellSampleTrainsCheckpointsResumesAndLogs()
    {
        var ckptDir = Path.Combine(runs, "ckpt");
        var tbDir = Path.Combine(runs, "tb");
        // begin-shell-sample
        var model = Hk.Transform((Tensor x) => from mlp in MLP.Create([32, 1]) from y in mlp.Call(x) select y);
        using var gen = new torch.Generator(0);
        var data = Enumerable.Range(0, 20).Select(_ => torch.randn([16, 4], generator: gen))
            .Select(x => (X: x, Y: x.sum(1, keepdim: true))).ToList();
        // An epoch's batches must be the same each time they are asked for (here: rotated by the epoch), so a resume is exact.
        IEnumerable<(Tensor X, Tensor Y)> Epoch(int epoch) => data.Skip(epoch % 4).Concat(data.Take(epoch % 4));

        var schedule = Schedule.CosineDecay(1e-2, 100);
        var trainer = Trainer.ForModel(model, ((Tensor X, Tensor Y) b, bool _) => b.X,
            (Tensor yHat, (Tensor X, Tensor Y) b) => (yHat - b.Y).square().mean(), Optimizers.Adam(schedule), b => b.X.shape[0]);
        var template = trainer.Init(model.Init(seed: 0, data[0].X), seed: 1);

        // Resume from the latest checkpoint if there is one, else start afresh.
        var latest = PeriodicCheckpoints.Latest(ckptDir);
        var resume = latest is null ? null : TrainingCheckpoint.Load(latest, template);
        var options = new FitOptions<(Tensor X, Tensor Y)>(Epochs: 5, Batches: Epoch)
        {
            Evaluate = (state, epoch) => new Dictionary<string, double>
            {
                ["loss"] = (model.Apply(state.Params, data[0].X) - data[0].Y).square().mean().item<float>(),
            },
            Callbacks =
            [
                new PeriodicCheckpoints(ckptDir, everySteps: 25, keepLast: 2, bestMetric: "loss", higherIsBetter: false,
                    description: new RunDescription("mlp 4-32-1", "adam cosine 1e-2 over 100", 16, Seed: 1)),
                new EarlyStopping("loss", patience: 2, higherIsBetter: false),
                new TensorBoardLogger(tbDir, schedule, histogramEvery: 50),
            ],
            ReportEvery = 10,
            StartAt = resume?.Position ?? FitPosition.Start,
        };
        var result = trainer.Fit(resume?.State ?? template, options);
        Console.WriteLine($"{result.State.Step} steps, last epoch loss {result.History[^1].MeanLoss:F4}, {result.StopReason ?? "all epochs"}");
        // end-shell-sample

        Assert.Equal(100, result.State.Step);
        Assert.True(result.History[^1].MeanLoss < result.History[0].MeanLoss);
        // Saved at steps 25, 50, 75, 100 and at every epoch end (20, 40, …): the last two are kept.
        Assert.Equal([80L, 100], PeriodicCheckpoints.StepFiles(ckptDir).Select(f => f.Step).ToArray());
        Assert.True(File.Exists(Path.Combine(ckptDir, PeriodicCheckpoints.BestFileName)));
        Assert.Single(Directory.GetFiles(tbDir, "events.out.tfevents.*"));
    }

    [Fact]
    public void GuideQuotesTheShellSampleVerbatim()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "MiniHaiku.sln"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found");
        var source = File.ReadAllText(Path.Combine(root, "tests", "Unit", "Docs", "TrainingShellGuideTests.cs")).Replace("\r\n", "\n");
        var begin = source.IndexOf("// begin-shell-sample\n", StringComparison.Ordinal);
        var end = source.IndexOf("// end-shell-sample\n", begin + 1, StringComparison.Ordinal);
        var lines = source[begin..end].Split('\n').Skip(1).ToList();
        var sample = string.Join("\n", lines.Select(l => l.Length >= 8 ? l[8..] : l.TrimStart())).TrimEnd();
        var guide = File.ReadAllText(Path.Combine(root, "docs", "training.md")).Replace("\r\n", "\n");
        Assert.Contains(sample, guide);
    }
}
