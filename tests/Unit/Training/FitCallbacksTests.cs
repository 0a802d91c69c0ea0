using MiniHaiku.Optim;
using MiniHaiku.Training;

namespace MiniHaiku.Tests.Training;

/// <summary>The epoch-aware Fit: callbacks, window-averaged reports, evaluation and early stopping.</summary>
public class FitCallbacksTests
{
    internal static readonly Transformed<Tensor, Tensor> Net = Hk.Transform((Tensor x) =>
        from w in Hk.GetParam("w", [x.shape[^1], 8], dtype: ScalarType.Float64)
        from w2 in Hk.GetParam("w2", [8, 1], dtype: ScalarType.Float64)
        from h in Hk.Dropout(0.2, torch.tanh(x.matmul(w)))
        select h.matmul(w2));

    internal static List<(Tensor X, Tensor Y)> Data(int count)
    {
        using var g = new torch.Generator(5);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var x = torch.randn([8, 3], float64, generator: g);
            return (x, x.sum(1, keepdim: true));
        }).ToList();
    }

    /// <summary>The batches of an epoch: the data in an order seeded by the epoch number.</summary>
    internal static IEnumerable<(Tensor X, Tensor Y)> Epoch(List<(Tensor X, Tensor Y)> data, int epoch)
    {
        using var g = new torch.Generator((ulong)(1000 + epoch));
        long[] order;
        using (var perm = torch.randperm(data.Count, generator: g)) order = perm.data<long>().ToArray();
        foreach (var i in order) yield return data[(int)i];
    }

    internal static Trainer<(Tensor X, Tensor Y)> NetTrainer() =>
        Trainer.ForModel(Net, ((Tensor X, Tensor Y) b, bool _) => b.X, (Tensor y, (Tensor X, Tensor Y) b) => (y - b.Y).square().mean(),
            Optimizers.Adam(Schedule.CosineDecay(0.05, 40)), b => b.X.shape[0]);

    private sealed class Log : TrainingCallback
    {
        public List<string> Events { get; } = [];
        public List<TrainProgress> Reports { get; } = [];
        public List<double> StepLosses { get; } = [];
        public List<long> GradientSteps { get; } = [];
        public override void OnStep(StepEnd step) { Events.Add($"step {step.State.Step} e{step.Epoch} b{step.BatchesDone}"); StepLosses.Add(step.Loss); }
        public override void OnReport(FitRun run, TrainProgress report) { Events.Add($"report {report.Step}"); Reports.Add(report); }
        public override void OnEvaluation(EvaluationEnd evaluation) => Events.Add($"eval e{evaluation.Epoch} {evaluation.Metrics["n"]}");
        public override void OnEpochEnd(EpochEnd epoch) => Events.Add($"end e{epoch.Epoch}");
        public override bool WantsGradients(long step) => step == 3;
        public override void OnGradients(long step, Params gradients)
        {
            Assert.Equal(["~/w", "~/w2"], gradients.Keys.ToArray());
            GradientSteps.Add(step);
        }
    }

    [Fact]
    public void CallbacksSeeStepsReportsEvaluationsAndEpochEndsInOrder()
    {
        var data = Data(4);
        var trainer = NetTrainer();
        var p = Net.Init(0, data[0].X);
        var log = new Log();
        var result = trainer.Fit(trainer.Init(p, seed: 1), new FitOptions<(Tensor X, Tensor Y)>(2, e => Epoch(data, e))
        {
            Evaluate = (s, e) => new Dictionary<string, double> { ["n"] = s.Step },
            Callbacks = [log],
            ReportEvery = 2,
        });
        Assert.Equal(
        [
            "step 1 e1 b1", "step 2 e1 b2", "report 2", "step 3 e1 b3", "step 4 e1 b4", "report 4", "eval e1 4", "end e1",
            "step 5 e2 b1", "step 6 e2 b2", "report 6", "step 7 e2 b3", "step 8 e2 b4", "report 8", "eval e2 8", "end e2",
        ], log.Events);
        Assert.Equal([3L], log.GradientSteps);
        // Each report averages its window, not just its last step.
        for (var i = 0; i < log.Reports.Count; i++)
        {
            Assert.Equal(2, log.Reports[i].WindowSteps);
            Assert.Equal((log.StepLosses[2 * i] + log.StepLosses[2 * i + 1]) / 2, log.Reports[i].MeanLoss, 12);
            Assert.Equal(log.StepLosses[2 * i + 1], log.Reports[i].Loss);
        }
        Assert.Equal([1, 2], result.History.Select(h => h.Epoch).ToArray());
        Assert.Equal(log.StepLosses.Take(4).Average(), result.History[0].MeanLoss, 12);
        Assert.False(result.StoppedEarly);
        Assert.Equal(8, result.State.Step);
        result.State.DisposeTensors();
    }

    [Fact]
    public void EarlyStoppingStopsAfterPatienceEvaluationsWithoutImprovement()
    {
        var data = Data(2);
        var trainer = NetTrainer();
        var p = Net.Init(0, data[0].X);
        // The metric improves for two epochs, then gets worse.
        double[] scores = [0.5, 0.7, 0.6, 0.65, 0.9, 0.95];
        var stopper = new EarlyStopping("accuracy", patience: 2);
        var result = trainer.Fit(trainer.Init(p, seed: 1), new FitOptions<(Tensor X, Tensor Y)>(6, e => Epoch(data, e))
        {
            Evaluate = (_, e) => new Dictionary<string, double> { ["accuracy"] = scores[e - 1] },
            Callbacks = [stopper],
        });
        Assert.True(result.StoppedEarly);
        Assert.Contains("'accuracy' has not improved for 2", result.StopReason);
        Assert.Equal(4, result.History.Count);
        Assert.Equal(0.7, stopper.Best);
        Assert.Equal(2, stopper.BestEpoch);
        Assert.Equal(8, result.State.Step);
        result.State.DisposeTensors();
    }

    [Fact]
    public void EarlyStoppingOnALossWaitsForADecrease()
    {
        var stopper = new EarlyStopping("loss", patience: 1, higherIsBetter: false, minDelta: 0.1);
        var data = Data(1);
        var trainer = NetTrainer();
        var p = Net.Init(0, data[0].X);
        double[] losses = [1.0, 0.8, 0.75];
        var result = trainer.Fit(trainer.Init(p, seed: 1), new FitOptions<(Tensor X, Tensor Y)>(3, e => Epoch(data, e))
        {
            Evaluate = (_, e) => new Dictionary<string, double> { ["loss"] = losses[e - 1] },
            Callbacks = [stopper],
        });
        // 0.75 is not 0.1 below 0.8: stopped after epoch 3.
        Assert.Equal(3, result.History.Count);
        Assert.True(result.StoppedEarly);
        Assert.Equal(0.8, stopper.Best);
        result.State.DisposeTensors();
    }

    [Fact]
    public void AWatchedMetricTheEvaluationDoesNotReturnIsAMissingMetricException()
    {
        var data = Data(1);
        var trainer = NetTrainer();
        var p = Net.Init(0, data[0].X);
        var e = Assert.Throws<MissingMetricException>(() => trainer.Fit(trainer.Init(p, seed: 1), new FitOptions<(Tensor X, Tensor Y)>(2, ep => Epoch(data, ep))
        {
            Evaluate = (_, _) => new Dictionary<string, double> { ["test_accuracy"] = 0.5, ["test_loss"] = 1 },
            Callbacks = [new EarlyStopping("accuracy", patience: 2)],
        }));
        Assert.Equal("EarlyStopping watches the metric 'accuracy', but the evaluation returned 'test_accuracy', 'test_loss'. Give the callback one of those names, or return it from FitOptions.Evaluate.", e.Message);
        Assert.Equal("accuracy", e.Metric);
    }

    [Fact]
    public void AFailingCallbackLeaksNoStateAndKeepsTheCallersState()
    {
        var data = Data(4);
        var trainer = NetTrainer();
        var p = Net.Init(0, data[0].X);
        var start = trainer.Init(p, seed: 1);
        var stats = DisposeScopeManager.Statistics.TensorStatistics;
        var before = stats.ThreadTotalLiveCount;
        Assert.Throws<InvalidOperationException>(() => trainer.Fit(start, new FitOptions<(Tensor X, Tensor Y)>(2, e => Epoch(data, e))
        {
            Callbacks = [new Throwing()],
        }));
        Assert.Equal(before, stats.ThreadTotalLiveCount);
        Assert.False(start.Params["~/w"].IsInvalid);
    }

    private sealed class Throwing : TrainingCallback
    {
        public override void OnStep(StepEnd step)
        {
            if (step.State.Step == 3) throw new InvalidOperationException("boom");
        }
    }

    [Fact]
    public void ResumingPastTheEndOfAnEpochIsAnError()
    {
        var data = Data(2);
        var trainer = NetTrainer();
        var p = Net.Init(0, data[0].X);
        var e = Assert.Throws<ModelUsageException>(() => trainer.Fit(trainer.Init(p, seed: 1),
            new FitOptions<(Tensor X, Tensor Y)>(2, ep => Epoch(data, ep)) { StartAt = new FitPosition(1, 5) }));
        Assert.Contains("has only 2", e.Message);
    }
}
