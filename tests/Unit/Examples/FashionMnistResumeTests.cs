using System.Reflection;
using MiniHaiku.Checkpoints;
using MiniHaiku.FashionMnistExample;
using Spectre.Console;

namespace MiniHaiku.Tests.Examples;

/// <summary>
/// The app's periodic checkpoints, --resume, early stopping and TensorBoard logs, on its embedded 1,000 + 500 image sample.
/// </summary>
[Collection(nameof(FashionMnistAppCollection))]
public sealed class FashionMnistResumeTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("minihaiku-app-resume-").FullName;

    public FashionMnistResumeTests()
    {
        // The embedded sample, written out as the four IDX files --data expects.
        var app = typeof(TrainCommand).Assembly;
        foreach (var name in app.GetManifestResourceNames().Where(n => n.StartsWith("Sample.", StringComparison.Ordinal)))
        {
            using var resource = app.GetManifestResourceStream(name)!;
            using var file = File.Create(Path.Combine(Data, name["Sample.".Length..]));
            resource.CopyTo(file);
        }
    }

    private string Data => Directory.CreateDirectory(Path.Combine(root, "data")).FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var entry = typeof(TrainCommand).Assembly.EntryPoint ?? throw new InvalidOperationException("the app has no entry point");
        var (oldOut, oldError, oldConsole) = (Console.Out, Console.Error, AnsiConsole.Console);
        using var output = new StringWriter();
        using var error = new StringWriter();
        Console.SetOut(output);
        Console.SetError(error);
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        try
        {
            var code = (int)entry.Invoke(null, [args])!;
            return (code, output.ToString(), error.ToString());
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldError);
            AnsiConsole.Console = oldConsole;
        }
    }

    private static string Flat(string text) => string.Join(' ', text.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));

    private string[] Train(string outDir, params string[] extra) =>
        ["train", "--model", "mlp", "--epochs", "2", "--batch-size", "100", "--seed", "7", "--threads", "1", "--data", Data, "--out", outDir, .. extra];

    private static string FinalAccuracy(string output) =>
        output.Split('\n').Single(l => l.StartsWith("test accuracy: ", StringComparison.Ordinal)).Trim();

    [Fact]
    public void AnInterruptedRunResumedFromItsLastCheckpointEndsExactlyLikeAnUninterruptedOne()
    {
        var straight = Path.Combine(root, "straight");
        var (code, output, error) = Run(Train(straight, "--checkpoint-every", "3"));
        Assert.True(code == 0, error);

        // The interrupted run: what a kill during step 7 or 8 of 20 leaves on disk is the checkpoints up to step 6
        // (nothing else is written before the end of epoch 1, at step 10). Make that folder (a run keeping every
        // checkpoint, minus what came after step 6: the files are deterministic), then resume.
        var interrupted = Path.Combine(root, "interrupted");
        (code, _, error) = Run(Train(interrupted, "--checkpoint-every", "3", "--keep-checkpoints", "100"));
        Assert.True(code == 0, error);
        var checkpoints = Path.Combine(interrupted, "checkpoints");
        foreach (var (step, path) in PeriodicCheckpoints.StepFiles(checkpoints))
            if (step > 6) File.Delete(path);
        foreach (var file in Directory.GetFiles(interrupted).Concat([Path.Combine(checkpoints, PeriodicCheckpoints.BestFileName)])) File.Delete(file);
        Assert.Equal([3L, 6], PeriodicCheckpoints.StepFiles(checkpoints).Select(f => f.Step).ToArray());

        var (resumedCode, resumedOutput, resumedError) = Run(Train(interrupted, "--checkpoint-every", "3", "--resume"));
        Assert.True(resumedCode == 0, resumedError);
        Assert.Contains("Resuming from", resumedOutput);
        Assert.Contains("step 6, epoch 1 after 6 of its 10 batches", Flat(resumedOutput));
        Assert.Equal(FinalAccuracy(output), FinalAccuracy(resumedOutput));
        // Not just the accuracy: the final parameters are bit for bit the same, and metrics.csv has both epochs.
        var a = Checkpoint.Load(Path.Combine(straight, "model.safetensors"));
        var b = Checkpoint.Load(Path.Combine(interrupted, "model.safetensors"));
        Assert.Equal(a.Params.Keys, b.Params.Keys);
        foreach (var (k, t) in a.Params) Assert.True(t.bytes.SequenceEqual(b.Params[k].bytes), $"'{k}' differs");
        Assert.Equal(File.ReadAllText(Path.Combine(straight, "metrics.csv")).Split('\n').Length,
            File.ReadAllText(Path.Combine(interrupted, "metrics.csv")).Split('\n').Length);

        // The checkpoints carry the run's description and the best-by-accuracy copy exists.
        var meta = Checkpoint.ReadMetadata(PeriodicCheckpoints.Latest(checkpoints)!);
        Assert.Equal("100", meta[RunDescription.BatchSizeKey]);
        Assert.Equal("7", meta[RunDescription.SeedKey]);
        Assert.Contains("cosine decay from 0.001 to 0 over 20 steps", meta[RunDescription.LearningRateKey]);
        Assert.Equal(RunDescription.LibraryVersion, meta[RunDescription.LibraryVersionKey]);
        Assert.True(File.Exists(Path.Combine(checkpoints, PeriodicCheckpoints.BestFileName)));
        // keep-last 3: steps 15, 18, 20.
        Assert.Equal([15L, 18, 20], PeriodicCheckpoints.StepFiles(checkpoints).Select(f => f.Step).ToArray());
    }

    [Fact]
    public void ResumingWithOtherSettingsOrWithoutCheckpointsIsAnInputError()
    {
        var outDir = Path.Combine(root, "run");
        var (code, _, error) = Run(Train(outDir, "--resume"));
        Assert.Equal(ErrorReport.InputError, code);
        Assert.Contains("holds no checkpoint to resume from", Flat(error));

        (code, _, error) = Run(Train(outDir));
        Assert.True(code == 0, error);
        (code, _, error) = Run([.. Train(outDir, "--resume"), "--batch-size", "50"]);
        Assert.Equal(ErrorReport.InputError, code);
        Assert.Contains("was saved by a run with other settings", Flat(error));
    }

    [Fact]
    public void TensorBoardLogsAndEarlyStoppingAreAvailableFromTheCommandLine()
    {
        var outDir = Path.Combine(root, "tb");
        var (code, output, error) = Run(Train(outDir, "--tensorboard", "--patience", "1"));
        Assert.True(code == 0, error);
        var events = Directory.GetFiles(Path.Combine(outDir, "tensorboard"), "events.out.tfevents.*");
        var bytes = File.ReadAllBytes(Assert.Single(events));
        foreach (var tag in new[] { "train/loss", "train/learning_rate", "train/samples_per_second", "eval/test_accuracy", "params/", "gradients/" })
            Assert.True(bytes.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(tag)) >= 0, $"no '{tag}' in the event file");
        Assert.Contains("test accuracy:", output);
    }

    [Theory]
    [InlineData("tpu", "--device must be cpu, cuda or cuda:N, got 'tpu'.")]
    [InlineData("cuda:x", "--device must be cpu, cuda or cuda:N, got 'cuda:x'.")]
    [InlineData("cuda", "--device cuda: CUDA is not available")] // this machine has no GPU and the tests use the CPU backend
    public void ADeviceThatCannotBeUsedIsAUsageError(string device, string message)
    {
        var (code, _, error) = Run(Train(Path.Combine(root, "dev"), "--device", device));
        Assert.Equal(ErrorReport.UsageError, code);
        Assert.Contains(message, Flat(error));
    }
}
