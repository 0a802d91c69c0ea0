using MiniHaiku.Data;
using Spectre.Console;

namespace MiniHaiku.FashionMnistExample;

/// <summary>Finds Fashion-MNIST: --data DIR, else the Debian package's folder, else the embedded sample.</summary>
public static class DataSource
{
    /// <summary>Loads only the test split and says where it came from.</summary>
    /// <param name="dataDirectory">The --data folder, or null to look in the default places.</param>
    /// <returns>The test split and a one-line description of its origin.</returns>
    /// <exception cref="DataFormatException">The split holds no images, or images without pixels.</exception>
    public static (LabeledImages Test, string Origin) LoadTest(string? dataDirectory)
    {
        var directory = dataDirectory ?? (FashionMnist.Exists(FashionMnist.DebianDirectory) ? FashionMnist.DebianDirectory : null);
        if (directory is not null)
        {
            var test = FashionMnist.LoadTest(directory);
            try { RequireUsable(test, null); }
            catch { test.Dispose(); throw; }
            return (test, $"{directory} ({test.Count:N0} test images)");
        }
        var (train, sampleTest, origin) = Load(null);
        train.Dispose();
        return (sampleTest, origin);
    }

    /// <summary>Loads both splits and says where they came from.</summary>
    /// <param name="dataDirectory">The --data folder, or null to look in the default places.</param>
    /// <returns>The train and test splits and a one-line description of their origin.</returns>
    /// <exception cref="DataFormatException">A split holds no images, images without pixels, or images of another size than the other split's.</exception>
    public static (LabeledImages Train, LabeledImages Test, string Origin) Load(string? dataDirectory)
    {
        if (dataDirectory is not null)
        {
            var (train, test) = FashionMnist.Load(dataDirectory);
            try
            {
                RequireUsable(train, null);
                RequireUsable(test, train);
            }
            catch
            {
                train.Dispose();
                test.Dispose();
                throw;
            }
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

    /// <summary>
    /// Rejects a split that cannot be trained on or evaluated: no images, images of 0 rows or columns, or (given the
    /// training split) images of another size than the training images.
    /// </summary>
    /// <param name="split">The split to check.</param>
    /// <param name="train">The training split, when <paramref name="split"/> is the test split; else null.</param>
    /// <exception cref="DataFormatException">The split is unusable; the message names its file.</exception>
    public static void RequireUsable(LabeledImages split, LabeledImages? train)
    {
        ArgumentNullException.ThrowIfNull(split);
        if (split.Count == 0)
            throw new DataFormatException(split.Source, "holds no images; training and evaluation need at least one. Use the complete Fashion-MNIST files.");
        if (split.Height == 0 || split.Width == 0)
            throw new DataFormatException(split.Source, $"holds images of {split.Height}×{split.Width} pixels; an image needs at least one row and one column.");
        if (train is not null && (split.Height != train.Height || split.Width != train.Width))
            throw new DataFormatException(split.Source,
                $"holds {split.Height}×{split.Width} images but the training images ({train.Source}) are {train.Height}×{train.Width}; use both splits of the same data set.");
    }
}
