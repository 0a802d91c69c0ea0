using MiniHaiku.Optim;
using MiniHaiku.Training;

namespace MiniHaiku.Tests.Training;

public class TrainerTests
{
    private sealed class Recorder : IProgress<TrainProgress>
    {
        public List<TrainProgress> Reports { get; } = [];
        public void Report(TrainProgress value) => Reports.Add(value);
    }

    private static readonly Transformed<Tensor, Tensor> Linear = Hk.Transform((Tensor x) =>
        from w in Hk.GetParam("w", [x.shape[^1], 1], dtype: ScalarType.Float64)
        from b in Hk.GetParam("b", [1], Initializers.Constant(0.0), dtype: ScalarType.Float64)
        select x.matmul(w) + b);

    private static List<(Tensor X, Tensor Y)> Batches(int count)
    {
        using var g = new torch.Generator(5);
        var trueW = torch.tensor(new[] { 2.0, -1.0, 0.5 }).reshape(3, 1);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var x = torch.randn([16, 3], float64, generator: g);
            return (x, x.matmul(trueW) + 0.3);
        }).ToList();
    }

    private static Trainer<(Tensor X, Tensor Y)> LinearTrainer(GradientTransformation opt) =>
        Trainer.ForModel(Linear, ((Tensor X, Tensor Y) b, bool _) => b.X, (Tensor y, (Tensor X, Tensor Y) b) => (y - b.Y).square().mean(), opt, b => b.X.shape[0]);

    [Fact]
    public void FitLearnsALinearModelAndReportsProgress()
    {
        var batches = Batches(200);
        var trainer = LinearTrainer(Optimizers.Adam(0.05));
        var p = Linear.Init(0, batches[0].X);
        var recorder = new Recorder();
        var final = trainer.Fit(trainer.Init(p, seed: 1), batches, recorder, reportEvery: 50);
        Assert.Equal(200, final.Step);
        Assert.Equal([50L, 100L, 150L, 200L], recorder.Reports.Select(r => r.Step).ToArray());
        Assert.True(recorder.Reports[^1].Loss < 0.01 * recorder.Reports[0].Loss, $"loss {recorder.Reports[0].Loss} -> {recorder.Reports[^1].Loss}");
        Assert.All(recorder.Reports, r => Assert.True(r.SamplesPerSecond > 0));
        Assert.True(final.Params["~/w"].allclose(torch.tensor(new[] { 2.0, -1.0, 0.5 }).reshape(3, 1), atol: 1e-2));
        // The initial parameters belong to the caller: Fit never disposes them.
        Assert.False(p["~/w"].IsInvalid);
        Assert.Equal([3L, 1L], p["~/w"].shape);
    }

    [Fact]
    public void FitLeavesNoTensorAliveBeyondTheFinalState()
    {
        var batches = Batches(30);
        var trainer = LinearTrainer(Optimizers.Chain(Optimizers.ClipByGlobalNorm(1), Optimizers.AdamW(0.01)));
        var p = Linear.Init(0, batches[0].X);
        var start = trainer.Init(p, seed: 1);
        var stats = DisposeScopeManager.Statistics.TensorStatistics;
        var before = stats.ThreadTotalLiveCount;
        var final = trainer.Fit(start, batches);
        var heldByFinal = final.Tensors().Distinct(ReferenceEqualityComparer.Instance).Count();
        Assert.Equal(before + heldByFinal, stats.ThreadTotalLiveCount);
        final.DisposeTensors();
        Assert.Equal(before, stats.ThreadTotalLiveCount);
    }

    [Fact]
    public void StepLeavesItsInputStateIntact()
    {
        var batches = Batches(1);
        var trainer = LinearTrainer(Optimizers.Sgd(0.1, momentum: 0.9));
        var s0 = trainer.Init(Linear.Init(0, batches[0].X), seed: 1);
        var copy = s0.Params.Map(t => t.clone());
        var (s1, loss) = trainer.Step(s0, batches[0]);
        Assert.True(s0.Params.BitwiseEquals(copy));
        Assert.False(s1.Params.BitwiseEquals(copy));
        Assert.Equal(0, s0.Step);
        Assert.Equal(1, s1.Step);
        Assert.True(loss > 0);
        Assert.NotEqual(s0.Rng, s1.Rng);
    }

    [Fact]
    public void EachStepGetsItsOwnReproducibleKey()
    {
        var keys = new List<RngKey>();
        var trainer = Trainer.Create<int>((p, _, key) => { keys.Add(key); return p["~/a"].sum(); }, Optimizers.Sgd(0.1));
        var p = Params.Create([new("~/a", torch.ones(2))]);
        trainer.Fit(trainer.Init(p, seed: 3), [1, 2, 3]);
        var first = keys.ToList();
        keys.Clear();
        trainer.Fit(trainer.Init(p, seed: 3), [1, 2, 3]);
        Assert.Equal(first, keys);
        Assert.Equal(3, first.Distinct().Count());
        keys.Clear();
        trainer.Fit(trainer.Init(p, seed: 4), [1]);
        Assert.NotEqual(first[0], keys[0]);
    }

    [Fact]
    public void StatefulModelStateIsCarriedAcrossSteps()
    {
        // A model that counts its calls in state and scales its input by a parameter.
        var model = Hk.TransformWithState((Tensor x) =>
            from n in Hk.GetState("calls", [], Initializers.Constant(0.0), ScalarType.Float64)
            from _ in Hk.SetState("calls", n + 1)
            from w in Hk.GetParam("w", [1], Initializers.Constant(1.0), ScalarType.Float64)
            select x * w);
        var x = torch.ones(4, float64);
        var (p, s) = model.Init(0, x);
        var trainer = Trainer.ForModel(model, (Tensor b, bool _) => b, (Tensor y, Tensor _) => y.square().mean(), Optimizers.Sgd(0.1));
        var final = trainer.Fit(trainer.Init(p, seed: 0, state: s), [x, x, x]);
        Assert.Equal(3.0, final.State["~/calls"].item<double>());
        Assert.False(final.State["~/calls"].requires_grad);
        // w <- w - 0.1 * 2w each step: 0.8^3.
        Assert.Equal(Math.Pow(0.8, 3), final.Params["~/w"].item<double>(), 12);
    }

    [Fact]
    public void FitStopsWhenCancelled()
    {
        using var cts = new CancellationTokenSource();
        var trainer = Trainer.Create<int>((p, _, _) => p["~/a"].sum(), Optimizers.Sgd(0.1));
        var p = Params.Create([new("~/a", torch.ones(2))]);
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() => trainer.Fit(trainer.Init(p, 0), [1, 2], cancellationToken: cts.Token));
    }

    public enum Failure { LossThrows, EnumeratorThrows, Cancelled, ProgressThrows, NonScalarLoss, NaNLoss }

    private sealed class ThrowingProgress(Action<TrainProgress> onReport) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value) => onReport(value);
    }

    /// <summary>Yields <paramref name="batches"/> but throws when asked for the item at <paramref name="failAt"/>.</summary>
    private static IEnumerable<(Tensor X, Tensor Y)> FailingEnumerator(List<(Tensor X, Tensor Y)> batches, int failAt)
    {
        for (var i = 0; i < batches.Count; i++)
        {
            if (i == failAt) throw new IOException("disk gone");
            yield return batches[i];
        }
    }

    [Theory]
    [InlineData(Failure.LossThrows)]
    [InlineData(Failure.EnumeratorThrows)]
    [InlineData(Failure.Cancelled)]
    [InlineData(Failure.ProgressThrows)]
    [InlineData(Failure.NonScalarLoss)]
    [InlineData(Failure.NaNLoss)]
    public void AFailedFitLeavesNoTensorAlive(Failure failure)
    {
        var batches = Batches(8);
        const int failAt = 3;
        var step = 0;
        var trainer = Trainer.ForModel(Linear, ((Tensor X, Tensor Y) b, bool _) => b.X, (Tensor y, (Tensor X, Tensor Y) b) =>
        {
            step++;
            var residual = y - b.Y;
            return (failure, step > failAt) switch
            {
                (Failure.LossThrows, true) => throw new InvalidDataException("bad batch"),
                (Failure.NonScalarLoss, true) => residual.square(),
                (Failure.NaNLoss, true) => residual.square().mean() * double.NaN,
                _ => residual.square().mean(),
            };
        }, Optimizers.Chain(Optimizers.ClipByGlobalNorm(1), Optimizers.Adam(0.01)));
        var p = Linear.Init(0, batches[0].X);
        var start = trainer.Init(p, seed: 1);
        var startCopy = start.Params.Map(t => t.clone());
        var stats = DisposeScopeManager.Statistics.TensorStatistics;
        var before = stats.ThreadTotalLiveCount;
        for (var attempt = 0; attempt < 10; attempt++)
        {
            step = 0;
            using var cts = new CancellationTokenSource();
            var progress = new ThrowingProgress(r =>
            {
                if (r.Step < failAt) return;
                if (failure == Failure.ProgressThrows) throw new InvalidOperationException("display closed");
                if (failure == Failure.Cancelled) cts.Cancel();
            });
            var data = failure == Failure.EnumeratorThrows ? FailingEnumerator(batches, failAt) : batches;
            var e = Record.Exception(() => trainer.Fit(start, data, progress, cancellationToken: cts.Token));
            Assert.IsType(failure switch
            {
                Failure.LossThrows => typeof(InvalidDataException),
                Failure.EnumeratorThrows => typeof(IOException),
                Failure.Cancelled => typeof(OperationCanceledException),
                Failure.ProgressThrows => typeof(InvalidOperationException),
                Failure.NonScalarLoss => typeof(GradientException),
                _ => typeof(NonFiniteTrainingException),
            }, e);
            Assert.Equal(before, stats.ThreadTotalLiveCount);
        }
        // The caller's state survives every failure.
        Assert.True(start.Params.BitwiseEquals(startCopy));
        start.OptState.Tensors().ToList().ForEach(t => Assert.False(t.IsInvalid));
    }

    [Fact]
    public void ANaNLossStopsTrainingNamingTheStep()
    {
        var trainer = Trainer.Create<int>((p, b, _) => b == 3 ? p["~/a"].sum() * double.NaN : p["~/a"].sum(), Optimizers.Sgd(0.1));
        var p = Params.Create([new("~/a", torch.ones(2))]);
        var e = Assert.Throws<NonFiniteTrainingException>(() => trainer.Fit(trainer.Init(p, 0), [1, 2, 3, 4]));
        Assert.Equal(3, e.Step);
        Assert.Null(e.Epoch);
        Assert.Equal("loss", e.Quantity);
        Assert.True(double.IsNaN(e.Loss));
        Assert.StartsWith("Training stopped at step 3: the loss is not finite (it is NaN).", e.Message);
        Assert.Contains("SkipNonFiniteSteps", e.Message);
    }

    [Fact]
    public void ANonFiniteGradientWithAFiniteLossStopsTrainingNamingTheParameter()
    {
        // d/da sqrt(a) at a = 0 is +inf while the loss is 0.
        var trainer = Trainer.Create<int>((p, _, _) => p["~/a"].sqrt().sum() + p["~/b"].sum(), Optimizers.Sgd(0.1));
        var p = Params.Create([new("~/a", torch.zeros(2)), new("~/b", torch.ones(2))]);
        var e = Assert.Throws<NonFiniteTrainingException>(() => trainer.Fit(trainer.Init(p, 0), [1, 2]));
        Assert.Equal(1, e.Step);
        Assert.Equal("gradient of '~/a'", e.Quantity);
        Assert.Equal(2.0, e.Loss);
        Assert.Contains("the gradient of '~/a' is not finite", e.Message);
    }

    [Fact]
    public void SgdWithAHugeLearningRateDivergesIntoAClearError()
    {
        var batches = Batches(300);
        var trainer = LinearTrainer(Optimizers.Sgd(1e6));
        var e = Assert.Throws<NonFiniteTrainingException>(() => trainer.FitEpoch(trainer.Init(Linear.Init(0, batches[0].X), seed: 1), batches, epoch: 2));
        Assert.InRange(e.Step, 2, 300);
        Assert.Equal(2, e.Epoch);
        Assert.Contains($"Training stopped at step {e.Step} (epoch 2)", e.Message);
    }

    [Fact]
    public void SkippingNonFiniteStepsLeavesTheStateUnchangedAndCountsThem()
    {
        var trainer = Trainer.Create<int>((p, b, _) => b == 2 ? p["~/a"].sum() * double.PositiveInfinity : p["~/a"].sum(), Optimizers.Sgd(0.5, momentum: 0.9))
            .SkipNonFiniteSteps();
        Assert.Equal(NonFinitePolicy.Skip, trainer.NonFinite);
        var p = Params.Create([new("~/a", torch.ones(2, float64))]);
        var reference = Trainer.Create<int>((q, _, _) => q["~/a"].sum(), Optimizers.Sgd(0.5, momentum: 0.9));
        var stats = DisposeScopeManager.Statistics.TensorStatistics;
        var before = stats.ThreadTotalLiveCount;
        var (start, referenceStart) = (trainer.Init(p, 0), reference.Init(p, 0));
        var skipped = trainer.Fit(start, [1, 2, 3]);
        Assert.Equal(3, skipped.Step);
        Assert.Equal(1, skipped.SkippedSteps);
        // The same as two clean steps: the skipped one changed neither parameters nor momentum.
        var clean = reference.Fit(referenceStart, [1, 3]);
        Assert.Equal(0, clean.SkippedSteps);
        Assert.True(skipped.Params.BitwiseEquals(clean.Params));
        using (torch.NewDisposeScope())
            Assert.True(skipped.OptState.ToParams().BitwiseEquals(clean.OptState.ToParams()));
        foreach (var t in start.OptState.Tensors().Concat(referenceStart.OptState.Tensors())) t.Dispose();
        clean.DisposeTensors();
        skipped.DisposeTensors();
        Assert.Equal(before, stats.ThreadTotalLiveCount);
    }

    [Fact]
    public void HugeButFiniteGradientsAreNotMistakenForNonFiniteOnes()
    {
        // Gradients [1e308, 1e308]: finite, but their float64 sum overflows; the loss is 0.
        var trainer = Trainer.Create<int>((p, _, _) => (p["~/a"] * 1e308).sum(), Optimizers.Sgd(1e-308));
        var p = Params.Create([new("~/a", torch.tensor(new[] { 0.5, -0.5 }))]);
        var (next, loss) = trainer.Step(trainer.Init(p, 0), 1);
        Assert.Equal(0.0, loss);
        Assert.Equal(0, next.SkippedSteps);
        Assert.True(next.Params["~/a"].allclose(torch.tensor(new[] { -0.5, -1.5 })), string.Join(", ", next.Params["~/a"].data<double>().ToArray()));
    }
}
