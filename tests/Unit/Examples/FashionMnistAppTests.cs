using System.Reflection;
using MiniHaiku.FashionMnistExample;
using MiniHaiku.Tests.Support;
using Spectre.Console;

namespace MiniHaiku.Tests.Examples;

/// <summary>The app redirects the console and sets torch's thread count: its tests never run next to others.</summary>
[CollectionDefinition(nameof(FashionMnistAppCollection), DisableParallelization = true)]
public sealed class FashionMnistAppCollection;

/// <summary>Runs the example app's real entry point in-process and checks its exit codes and messages.</summary>
[Collection(nameof(FashionMnistAppCollection))]
public sealed class FashionMnistAppTests : IDisposable
{
    private readonly IdxFiles files = new();

    public void Dispose() => files.Dispose();

    /// <summary>Runs <c>MiniHaiku.FashionMnist args</c>; returns the exit code and what it wrote to standard error.</summary>
    private static (int ExitCode, string Error) Run(params string[] args)
    {
        var entry = typeof(TrainCommand).Assembly.EntryPoint ?? throw new InvalidOperationException("the app has no entry point");
        var (oldOut, oldError, oldConsole) = (Console.Out, Console.Error, AnsiConsole.Console);
        using var output = new StringWriter();
        using var error = new StringWriter();
        Console.SetOut(output);
        Console.SetError(error);
        // Spectre's static console keeps the writer it was created with: give each run its own.
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        try
        {
            var code = (int)entry.Invoke(null, [args])!;
            return (code, error.ToString());
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

    private string Out => Path.Combine(files.Directory, "out");

    [Theory]
    [InlineData("train", "--epoch", "1")]
    [InlineData("train", "--epochs", "1", "--lr=0.1", "--bach-size", "8")]
    [InlineData("eval", "--checkpoint", "model.safetensors", "--modle", "mlp")]
    public void UnknownOptionsAreRejectedWithAUsageError(params string[] args)
    {
        // --data points nowhere: had the typo been ignored, the run would fail later with exit 3, not 2.
        var (code, error) = Run([.. args, "--data", Path.Combine(files.Directory, "none")]);
        Assert.Equal(ErrorReport.UsageError, code);
        Assert.Contains("Unknown option", error);
    }

    [Fact]
    public void AnUnwritableOutputFolderIsReportedBeforeAnyDataIsLoaded()
    {
        var file = files.Write("not-a-folder", [1, 2, 3]);
        // The data folder does not exist either: the output check must come first.
        var (code, error) = Run("train", "--epochs", "1", "--data", Path.Combine(files.Directory, "none"), "--out", Path.Combine(file, "run"));
        Assert.Equal(ErrorReport.InputError, code);
        Assert.Contains($"Output folder '{Path.Combine(file, "run")}' cannot be written", Flat(error));
        Assert.DoesNotContain("Data file not found", Flat(error));
    }

    [Fact]
    public void ADataSetWithoutImagesIsBadData()
    {
        files.WriteSplit("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 0);
        files.WriteSplit("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 5);
        var (code, error) = Run("train", "--epochs", "1", "--data", files.Directory, "--out", Out);
        Assert.Equal(ErrorReport.InputError, code);
        Assert.Contains("train-images-idx3-ubyte.gz", Flat(error));
        Assert.Contains("holds no images", Flat(error));
        Assert.DoesNotContain("Unexpected", error);
    }

    [Fact]
    public void ZeroByZeroImagesAreBadData()
    {
        files.WriteSplit("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 10, rows: 0, cols: 0);
        files.WriteSplit("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 5, rows: 0, cols: 0);
        var (code, error) = Run("train", "--epochs", "1", "--data", files.Directory, "--out", Out);
        Assert.Equal(ErrorReport.InputError, code);
        Assert.Contains("holds images of 0×0 pixels", Flat(error));
    }

    [Fact]
    public void ATestSplitOfAnotherImageSizeIsBadData()
    {
        files.WriteSplit("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 10);
        files.WriteSplit("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 5, rows: 14, cols: 14);
        var (code, error) = Run("train", "--epochs", "1", "--data", files.Directory, "--out", Out);
        Assert.Equal(ErrorReport.InputError, code);
        Assert.Contains("holds 14×14 images but the training images", Flat(error));
    }

    [Fact]
    public void EvalRejectsATestSplitWithoutImages()
    {
        files.WriteSplit("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 20);
        files.WriteSplit("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 10);
        var (trained, trainError) = Run("train", "--epochs", "1", "--batch-size", "10", "--data", files.Directory, "--out", Out, "--threads", "1");
        Assert.True(trained == 0, trainError);
        files.WriteSplit("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 0);
        var (code, error) = Run("eval", "--checkpoint", Path.Combine(Out, "model.safetensors"), "--data", files.Directory);
        Assert.Equal(ErrorReport.InputError, code);
        Assert.Contains("holds no images", Flat(error));
    }
}
