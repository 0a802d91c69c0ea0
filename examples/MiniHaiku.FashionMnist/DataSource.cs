using MiniHaiku.Data;
using Spectre.Console;

namespace MiniHaiku.FashionMnistExample;

/// <summary>Finds Fashion-MNIST: --data DIR, else the Debian package's folder, else the embedded sample.</summary>
public static class DataSource
{
    /// <summary>Loads only the test split and says where it came from.</summary>
    /// <param name="dataDirectory">The --data folder, or null to look in the default places.</param>
    /// <returns>The test split and a one-line description of its origin.</returns>
    public static (LabeledImages Test, string Origin) LoadTest(string? dataDirectory)
    {
        var directory = dataDirectory ?? (FashionMnist.Exists(FashionMnist.DebianDirectory) ? FashionMnist.DebianDirectory : null);
        if (directory is not null)
        {
            var test = FashionMnist.LoadTest(directory);
            return (test, $"{directory} ({test.Count:N0} test images)");
        }
        var (train, sampleTest, origin) = Load(null);
        train.Dispose();
        return (sampleTest, origin);
    }

    /// <summary>Loads both splits and says where they came from.</summary>
    /// <param name="dataDirectory">The --data folder, or null to look in the default places.</param>
    /// <returns>The train and test splits and a one-line description of their origin.</returns>
    public static (LabeledImages Train, LabeledImages Test, string Origin) Load(string? dataDirectory)
    {
        if (dataDirectory is not null)
        {
            var (train, test) = FashionMnist.Load(dataDirectory);
            return (train, test, $"{dataDirectory} ({train.Count:N0} train / {test.Count:N0} test images)");
        }
        if (FashionMnist.Exists(FashionMnist.DebianDirectory))
        {
            var (train, test) = FashionMnist.Load(FashionMnist.DebianDirectory);
            return (train, test, $"{FashionMnist.DebianDirectory} ({train.Count:N0} train / {test.Count:N0} test images)");
        }
        var (sampleTrain, sampleTest) = FashionMnist.LoadEmbedded(typeof(DataSource).Assembly);
        AnsiConsole.MarkupLine(
            $"[yellow]Fashion-MNIST not found in {FashionMnist.DebianDirectory} and no --data DIR given: using the embedded sample " +
            $"({sampleTrain.Count:N0} train / {sampleTest.Count:N0} test images, balanced). Accuracy on it is not comparable to the full test set. " +
            "For the real data: apt-get install dataset-fashion-mnist.[/]");
        return (sampleTrain, sampleTest, $"embedded sample ({sampleTrain.Count:N0} train / {sampleTest.Count:N0} test images)");
    }
}
