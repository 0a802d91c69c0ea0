using MiniHaiku.Checkpoints;
using MiniHaiku.Optim;
using MiniHaiku.Tests.Optim;
using MiniHaiku.Training;

namespace MiniHaiku.Tests.Training;

/// <summary>
/// Fit updates the states it made (and will discard) in place; nothing else — the caller's state, a state passed to
/// Step, the inputs of a hand-written pure step — is ever changed.
/// </summary>
public class TrainerDonationTests
{
    private static (Params Params, Params Opt) Snapshot(TrainState s) => (s.Params.Map(t => t.clone()), s.OptState.ToParams().Map(t => t.clone()));

    private static void AssertUnchanged((Params Params, Params Opt) before, TrainState s)
    {
        Assert.All(s.Tensors(), t => Assert.False(t.IsInvalid));
        Assert.True(before.Params.BitwiseEquals(s.Params), "the parameters changed");
        Assert.True(before.Opt.BitwiseEquals(s.OptState.ToParams()), "the optimizer state changed");
    }

    [Fact]
    public void FitLeavesAFlatBackedStateItWasGivenIntact()
    {
        var batches = FlatTransformTests.Batches(6);
        var trainer = FlatTransformTests.TrainerFor(Optimizers.Adam(0.01));
        var s1 = trainer.Fit(trainer.Init(FlatTransformTests.Model.Init(0, batches[0].X), 1), batches.Take(2));
        Assert.True(FlatLayout.IsFlatBacked(s1.Params));
        var before = Snapshot(s1);
        var s2 = trainer.Fit(s1, batches.Skip(2));
        AssertUnchanged(before, s1);
        Assert.False(s1.Params.BitwiseEquals(s2.Params));
        Assert.Equal(6, s2.Step);
    }

    [Fact]
    public void StepLeavesAFlatBackedStateIntact()
    {
        var batches = FlatTransformTests.Batches(3);
        var trainer = FlatTransformTests.TrainerFor(Optimizers.Sgd(0.1, momentum: 0.9));
        var s1 = trainer.Fit(trainer.Init(FlatTransformTests.Model.Init(0, batches[0].X), 1), batches.Take(2));
        var before = Snapshot(s1);
        var (s2, _) = trainer.Step(s1, batches[2]);
        AssertUnchanged(before, s1);
        Assert.False(s1.Params.BitwiseEquals(s2.Params));
    }

    [Fact]
    public void AHandWrittenPureStepOnAFittedStateLeavesItsInputsUnchangedAndMatchesTheTrainer()
    {
        var batches = FlatTransformTests.Batches(3);
        var opt = Optimizers.AdamW(0.01, weightDecay: 0.1);
        var trainer = FlatTransformTests.TrainerFor(opt);
        var s = trainer.Fit(trainer.Init(FlatTransformTests.Model.Init(0, batches[0].X), 1), batches.Take(2));
        var before = Snapshot(s);
        var batch = batches[2];
        var (_, grads) = Grad.ValueAndGrad(p => (FlatTransformTests.Model.Apply(p, batch.X) - batch.Y).square().mean())(s.Params);
        var gradsBefore = grads.Map(t => t.clone());
        var (updates, newOpt) = opt.Update(grads, s.OptState, s.Params);
        var newParams = s.Params.ApplyUpdates(updates);
        AssertUnchanged(before, s);
        Assert.True(gradsBefore.BitwiseEquals(grads));
        var (viaTrainer, _) = trainer.Step(s, batch);
        // The trainer's flat path fuses kernels (rounding in another order): equal to the tolerance of the flat tests.
        FlatTransformTests.AssertClose(viaTrainer.Params, newParams, "parameters");
        FlatTransformTests.AssertClose(viaTrainer.OptState.ToParams(), newOpt.ToParams(), "optimizer states");
    }

    [Fact]
    public void ASkippedFirstStepDoesNotLetFitDonateTheCallersTensors()
    {
        var trainer = Trainer.Create<int>((p, b, _) => b == 0 ? p["~/a"].sum() * double.NaN : p["~/a"].square().sum(), Optimizers.Adam(0.1))
            .SkipNonFiniteSteps();
        var s1 = trainer.Fit(trainer.Init(Params.Create([new("~/a", torch.ones(3)), new("~/b", torch.ones(2, 2))]), 0), [1, 1]);
        Assert.True(FlatLayout.IsFlatBacked(s1.Params));
        var before = Snapshot(s1);
        var s2 = trainer.Fit(s1, [0, 1, 1, 1]);
        AssertUnchanged(before, s1);
        Assert.Equal(1, s2.SkippedSteps);
        Assert.False(s1.Params.BitwiseEquals(s2.Params));
    }

    [Fact]
    public void FitOnTheFlatPathLeavesNoTensorAliveBeyondTheFinalState()
    {
        var batches = FlatTransformTests.Batches(20);
        var trainer = FlatTransformTests.TrainerFor(Optimizers.Adam(0.01));
        var start = trainer.Init(FlatTransformTests.Model.Init(0, batches[0].X), 1);
        var stats = DisposeScopeManager.Statistics.TensorStatistics;
        var before = stats.ThreadTotalLiveCount;
        var final = trainer.Fit(start, batches);
        var held = final.Tensors().Distinct(ReferenceEqualityComparer.Instance).Count();
        Assert.Equal(before + held, stats.ThreadTotalLiveCount);
        final.DisposeTensors();
        Assert.Equal(before, stats.ThreadTotalLiveCount);
    }

    [Fact]
    public void ACheckpointOfAFlatBackedStateHoldsJustItsValues()
    {
        var batches = FlatTransformTests.Batches(3);
        var trainer = FlatTransformTests.TrainerFor(Optimizers.Adam(0.01));
        var p0 = FlatTransformTests.Model.Init(0, batches[0].X);
        var s = trainer.Fit(trainer.Init(p0, 1), batches);
        var path = Path.Combine(Path.GetTempPath(), $"flat-{Guid.NewGuid():N}.safetensors");
        try
        {
            Checkpoint.Save(path, s);
            var loaded = Checkpoint.LoadTrainState(path, trainer.Init(p0, 1));
            Assert.True(loaded.Params.BitwiseEquals(s.Params));
            Assert.True(loaded.OptState.ToParams().BitwiseEquals(s.OptState.ToParams()));
            Assert.Equal(s.Step, loaded.Step);
            // Saved tensor by tensor: the file holds each parameter's elements once, not the whole buffer per view.
            var total = s.Params.TotalBytes + s.OptState.ToParams().TotalBytes;
            Assert.True(new FileInfo(path).Length < total + 8192, $"{new FileInfo(path).Length} bytes for {total} bytes of tensors");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void FitsKeptLeavesGiveWhatStepByStepTrainingGives()
    {
        // Fit keeps its autograd leaves and gradient buffer across steps; Step makes fresh ones: the same training.
        var batches = FlatTransformTests.Batches(5);
        var trainer = FlatTransformTests.TrainerFor(Optimizers.Chain(Optimizers.ClipByGlobalNorm(0.05), Optimizers.AdamW(0.01, weightDecay: 0.1)));
        var p0 = FlatTransformTests.Model.Init(0, batches[0].X);
        var fitted = trainer.Fit(trainer.Init(p0, 1), batches);
        var stepped = trainer.Init(p0, 1);
        foreach (var b in batches) (stepped, _) = trainer.Step(stepped, b);
        Assert.True(fitted.Params.BitwiseEquals(stepped.Params));
        Assert.True(fitted.OptState.ToParams().BitwiseEquals(stepped.OptState.ToParams()));
        Assert.All(fitted.Params.Values, t => Assert.False(t.requires_grad)); // the leaves stay inside Fit
    }

    [Fact]
    public void FitGivesAParameterTheLossDoesNotUseAZeroGradient()
    {
        var seen = new List<double>();
        var trainer = Trainer.Create<int>((p, b, _) => p["~/a"].square().sum(), Optimizers.Sgd(0.1));
        var start = trainer.Init(Params.Create([new("~/a", torch.ones(3)), new("~/unused", torch.full(2, 2, 5f))]), 0);
        var callback = new GradientRecorder(seen);
        var result = trainer.Fit(start, new FitOptions<int>(1, _ => [1, 2, 3]) { Callbacks = [callback] });
        Assert.Equal(3, result.State.Step);
        Assert.All(result.State.Params["~/unused"].data<float>().ToArray(), v => Assert.Equal(5f, v));
        Assert.Equal(0.512, result.State.Params["~/a"][0].item<float>(), 5); // 1 · (1 − 0.1 · 2)³
        Assert.Equal([0.0, 0.0, 0.0], seen);
    }

    private sealed class GradientRecorder(List<double> seen) : TrainingCallback
    {
        public override bool WantsGradients(long step) => true;

        public override void OnGradients(long step, Params gradients) => seen.Add(gradients["~/unused"].abs().sum().item<float>());
    }
}
