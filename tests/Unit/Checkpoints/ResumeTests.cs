using MiniHaiku.Checkpoints;
using MiniHaiku.Tests.Training;
using MiniHaiku.Training;

namespace MiniHaiku.Tests.Checkpoints;

/// <summary>Periodic checkpoints and bit-exact resume.</summary>
public sealed class ResumeTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("minihaiku-resume-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static void AssertBitwiseEqual(Params expected, Params actual)
    {
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (k, t) in expected)
            Assert.True(t.bytes.SequenceEqual(actual[k].bytes), $"'{k}' differs");
    }

    [Theory]
    [InlineData(3)] // mid-epoch (epoch 1 has 5 batches)
    [InlineData(5)] // at an epoch boundary
    [InlineData(7)] // mid-epoch 2
    public void TrainingKStepsSavingLoadingAndTrainingKMoreEqualsTraining2KStraight(int k)
    {
        var data = FitCallbacksTests.Data(5);
        var trainer = FitCallbacksTests.NetTrainer();
        var p = Net(data);
        var description = new RunDescription("net 3-8-1 with dropout", "cosine 0.05 over 40", 8, 1);
        FitOptions<(Tensor X, Tensor Y)> Options(int epochs) => new(epochs, e => FitCallbacksTests.Epoch(data, e));

        // 2k steps straight: 2k / 5 epochs, plus part of the next one, through a callback that stops at 2k.
        var straight = trainer.Fit(trainer.Init(p, seed: 1), Options(10) with { Callbacks = [new StopAt(2 * k)] }).State;
        Assert.Equal(2 * k, straight.Step);

        // k steps, a checkpoint every k steps, stop; load the latest checkpoint and go on to 2k.
        var first = trainer.Fit(trainer.Init(p, seed: 1), Options(10) with
        {
            Callbacks = [new PeriodicCheckpoints(dir, everySteps: k, everyEpochs: 0, description: description), new StopAt(k)],
        }).State;
        var latest = PeriodicCheckpoints.Latest(dir)!;
        Assert.EndsWith($"step-{k:D10}.safetensors", latest);
        var resume = TrainingCheckpoint.Load(latest, trainer.Init(p, seed: 99));
        Assert.Equal(new FitPosition(k / 5 + 1 - (k % 5 == 0 ? 1 : 0), k % 5 == 0 ? 5 : k % 5), resume.Position);
        Assert.Equal(description, resume.Description);
        Assert.Equal(RunDescription.LibraryVersion, resume.Metadata[RunDescription.LibraryVersionKey]);
        AssertBitwiseEqual(first.Params, resume.State.Params);
        Assert.Equal(first.Rng, resume.State.Rng);
        var resumed = trainer.Fit(resume.State, Options(10) with { StartAt = resume.Position, Callbacks = [new StopAt(2 * k)] }).State;

        Assert.Equal(2 * k, resumed.Step);
        AssertBitwiseEqual(straight.Params, resumed.Params);
        AssertBitwiseEqual(straight.OptState.ToParams(), resumed.OptState.ToParams());
        Assert.Equal(straight.Rng, resumed.Rng);
    }

    private static Params Net(List<(Tensor X, Tensor Y)> data) => FitCallbacksTests.Net.Init(0, data[0].X);

    private sealed class StopAt(long step) : TrainingCallback
    {
        public override void OnStep(StepEnd s)
        {
            if (s.State.Step >= step) s.Run.Stop("enough");
        }
    }

    [Fact]
    public void PeriodicCheckpointsKeepTheLastKAndTheBestByMetric()
    {
        var data = FitCallbacksTests.Data(2);
        var trainer = FitCallbacksTests.NetTrainer();
        var p = Net(data);
        double[] accuracy = [0.3, 0.8, 0.5, 0.6];
        var result = trainer.Fit(trainer.Init(p, seed: 1), new FitOptions<(Tensor X, Tensor Y)>(4, e => FitCallbacksTests.Epoch(data, e))
        {
            Evaluate = (_, e) => new Dictionary<string, double> { ["accuracy"] = accuracy[e - 1] },
            Callbacks = [new PeriodicCheckpoints(dir, everySteps: 1, everyEpochs: 1, keepLast: 2, bestMetric: "accuracy")],
        });
        Assert.Equal([7L, 8L], PeriodicCheckpoints.StepFiles(dir).Select(f => f.Step).ToArray());
        var best = Checkpoint.ReadMetadata(Path.Combine(dir, PeriodicCheckpoints.BestFileName));
        Assert.Equal("0.8", best[PeriodicCheckpoints.BestValueKey]);
        Assert.Equal("4", best["step"]); // the state after epoch 2
        Assert.Equal("3", best[TrainingCheckpoint.EpochKey]); // resumes at the start of epoch 3
        // The epoch-end save supersedes the step save of the same step: it resumes at the next epoch.
        var last = Checkpoint.ReadMetadata(PeriodicCheckpoints.Latest(dir)!);
        Assert.Equal(("5", "0"), (last[TrainingCheckpoint.EpochKey], last[TrainingCheckpoint.BatchesDoneKey]));

        // A resumed run compares against the best the interrupted run recorded.
        var again = new PeriodicCheckpoints(dir, everyEpochs: 0, bestMetric: "accuracy");
        again.OnEvaluation(new EvaluationEnd(null!, result.State, 5, new Dictionary<string, double> { ["accuracy"] = 0.7 }));
        Assert.Equal("0.8", Checkpoint.ReadMetadata(Path.Combine(dir, PeriodicCheckpoints.BestFileName))[PeriodicCheckpoints.BestValueKey]);
        result.State.DisposeTensors();
    }

    [Fact]
    public void ACheckpointWithoutAPositionIsACheckpointException()
    {
        var data = FitCallbacksTests.Data(1);
        var trainer = FitCallbacksTests.NetTrainer();
        var state = trainer.Init(Net(data), seed: 1);
        var path = Path.Combine(dir, "plain.safetensors");
        Checkpoint.Save(path, state);
        var e = Assert.Throws<CheckpointException>(() => TrainingCheckpoint.Load(path, state));
        Assert.Contains("'epoch'", e.Message);
        Assert.Contains(path, e.Message);
    }

    /// <summary>A safetensors file written byte by byte: a <c>params/~/w</c> F32 [2] and one optimizer-state entry.</summary>
    private string RawCheckpoint(string optKey, string dtype, int bytes)
    {
        var header = $"{{\"params/~/w\":{{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}},\"opt_state/{optKey}\":{{\"dtype\":\"{dtype}\",\"shape\":[],\"data_offsets\":[8,{8 + bytes}]}}}}";
        var path = Path.Combine(dir, "raw.safetensors");
        using var file = File.Create(path);
        file.Write(BitConverter.GetBytes((ulong)header.Length));
        file.Write(System.Text.Encoding.ASCII.GetBytes(header));
        file.Write(new byte[8 + bytes]);
        return path;
    }

    [Fact]
    public void NamedNumbersAndBooleanFlagsOfTheOptimizerStateAreCheckedByKind()
    {
        using var w = torch.zeros(2);
        var expected = Params.Create([new("~/w", w)]);
        // Named numbers (OptState.Numbers) are float64 scalars; per-parameter boolean flags are boolean scalars.
        Checkpoint.Load(RawCheckpoint("1/#learning_rate", "F64", 8), expected).Params.DisposeTensors();
        Checkpoint.Load(RawCheckpoint("0/found_nan/~/w", "BOOL", 1), expected).Params.DisposeTensors();
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(RawCheckpoint("1/#learning_rate", "I64", 8), expected));
        Assert.Contains("'1/#learning_rate' is Int64 () but a number is a Float64 scalar", e.Message);
        // Slot shapes are not compared at load (Novograd's per-tensor "nu" is a scalar, Adafactor's moments are
        // factored); a slot of a parameter the model lacks is reported.
        Checkpoint.Load(RawCheckpoint("0/nu/~/w", "F32", 4), expected).Params.DisposeTensors();
        e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(RawCheckpoint("0/mu/~/v", "F32", 4), expected));
        Assert.Contains("'0/mu/~/v' is a slot of '~/v', which the model does not have", e.Message);
    }
}
