using System.Globalization;
using MiniHaiku.FashionMnistExample;
using MiniHaiku.Tests.Support;
using SkiaSharp;
using static MiniHaiku.Tests.Examples.AppRunner;

namespace MiniHaiku.Tests.Examples;

/// <summary>The app's train → eval (confusion matrix, per-class accuracy) → predict path, end to end on tiny data.</summary>
[Collection(nameof(FashionMnistAppCollection))]
public sealed class PredictAndEvalTests : IDisposable
{
    private readonly IdxFiles files = new();

    public void Dispose() => files.Dispose();

    private string Out => Path.Combine(files.Directory, "out");

    private string Checkpoint => Path.Combine(Out, "model.safetensors");

    private void Train()
    {
        files.WriteSplit("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 20);
        files.WriteSplit("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 10);
        var (code, _, error) = Run("train", "--epochs", "1", "--batch-size", "5", "--data", files.Directory, "--out", Out, "--threads", "1");
        Assert.True(code == 0, error);
    }

    private static List<string[]> Csv(string path) => File.ReadAllLines(path).Skip(1).Select(l => l.Split(',')).ToList();

    private static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    [Fact]
    public void TrainWritesEveryStepsLossAndEvalWritesTheConfusionMatrixAndPerClassAccuracy()
    {
        Train();
        var steps = Csv(Path.Combine(Out, "steps.csv"));
        Assert.Equal(["1", "2", "3", "4"], steps.Select(s => s[0]));  // 20 images in batches of 5
        Assert.All(steps, s => Assert.True(D(s[2]) > 0 && s[1] == "1"));
        Assert.True(new FileInfo(Path.Combine(Out, "metrics.png")).Length > 0);

        var evalOut = Path.Combine(files.Directory, "eval");
        var (code, output, error) = Run("eval", "--checkpoint", Checkpoint, "--data", files.Directory, "--out", evalOut);
        Assert.True(code == 0, error);
        var rows = Csv(Path.Combine(evalOut, "confusion.csv"));
        Assert.Equal(10, rows.Count);
        var counts = rows.Select(r => r[1..11].Select(long.Parse).ToArray()).ToArray();
        Assert.Equal(10, counts.Sum(r => r.Sum()));
        Assert.All(Enumerable.Range(0, 10), i => Assert.Equal(1, counts[i].Sum())); // labels are i mod 10: one test image per class
        var accuracy = (double)Enumerable.Range(0, 10).Sum(i => counts[i][i]) / 10;
        Assert.Contains($"test accuracy: {accuracy.ToString("F4", CultureInfo.InvariantCulture)}", output);
        Assert.All(Enumerable.Range(0, 10), i => Assert.Equal(counts[i][i], D(rows[i][11])));
        Assert.Contains("Per-class accuracy", output);
        Assert.Contains("Ankle boot", output);
        Assert.True(new FileInfo(Path.Combine(evalOut, "confusion.png")).Length > 0);
    }

    [Fact]
    public void PredictGivesTheSameProbabilitiesForAPngAnIdxFileAndAFolder()
    {
        Train();
        var pixels = IdxFiles.Pixels(3 * 28 * 28);
        var idx = files.Write("three-ubyte", IdxFiles.Encode([3, 28, 28], pixels));
        var folder = Directory.CreateDirectory(Path.Combine(files.Directory, "images")).FullName;
        var png = Path.Combine(folder, "first.png");
        using (var bitmap = new SKBitmap(28, 28))
        {
            for (var y = 0; y < 28; y++)
                for (var x = 0; x < 28; x++)
                {
                    var v = pixels[y * 28 + x];
                    bitmap.SetPixel(x, y, new SKColor(v, v, v));
                }
            using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(png, data.ToArray());
        }
        File.Copy(idx, Path.Combine(folder, "three-ubyte"));

        List<string[]> Predict(string input, string name)
        {
            var csv = Path.Combine(files.Directory, name + ".csv");
            var (code, output, error) = Run("predict", "--checkpoint", Checkpoint, "--input", input, "--csv", csv, "--top", "10");
            Assert.True(code == 0, error);
            Assert.Contains("probability", output);
            return Csv(csv);
        }
        var fromPng = Predict(png, "png").Single();
        var fromIdx = Predict(idx, "idx");
        var fromFolder = Predict(folder, "folder");

        Assert.Equal(3, fromIdx.Count);
        Assert.Equal(4, fromFolder.Count);
        Assert.Equal([png, .. Enumerable.Range(0, 3).Select(i => $"{Path.Combine(folder, "three-ubyte")}[{i}]")], fromFolder.Select(r => r[0]));
        foreach (var row in fromFolder.Concat(fromIdx))
        {
            var p = row[3..].Select(D).ToArray();
            Assert.Equal(1.0, p.Sum(), 1e-9);
            Assert.Equal(Array.IndexOf(p, p.Max()), int.Parse(row[1], CultureInfo.InvariantCulture));
            Assert.Equal(MiniHaiku.Data.FashionMnist.ClassNames[int.Parse(row[1], CultureInfo.InvariantCulture)], row[2]);
        }
        // The lossless grey PNG and the IDX file's first image are the same pixels, so the same answer (up to the
        // rounding of a batch of 1 against a batch of 3).
        SameAnswer(fromIdx[0], fromPng);
        SameAnswer(fromPng, fromFolder[0]);
    }

    private static void SameAnswer(string[] a, string[] b)
    {
        Assert.Equal(a[1..3], b[1..3]);
        Assert.All(Enumerable.Range(3, 10), i => Assert.Equal(D(a[i]), D(b[i]), 1e-6));
    }

    [Fact]
    public void PredictOnTheDataFolderClassifiesItsImagesAndLeavesOutTheLabelFiles()
    {
        Train();
        var csv = Path.Combine(Out, "all.csv");
        var (code, output, error) = Run("predict", "--checkpoint", Checkpoint, "--input", files.Directory, "--csv", csv);
        Assert.True(code == 0, error);
        Assert.Contains("Left out (label files, not images): t10k-labels-idx1-ubyte.gz, train-labels-idx1-ubyte.gz", Flat(output));
        var rows = Csv(csv);
        Assert.Equal(30, rows.Count); // 10 test + 20 training images
        Assert.StartsWith(Path.Combine(files.Directory, "t10k-images-idx3-ubyte.gz") + "[0]", rows[0][0]);
        Assert.DoesNotContain("more (--csv FILE writes them all)", output); // 30 rows fit in the table

        var many = Path.Combine(Out, "many-ubyte");
        File.WriteAllBytes(many, IdxFiles.Encode([60, 28, 28], IdxFiles.Pixels(60 * 28 * 28)));
        (code, output, error) = Run("predict", "--checkpoint", Checkpoint, "--input", many);
        Assert.True(code == 0, error);
        Assert.Contains("… and 10 more (--csv FILE writes them all). Predicted classes of all 60:", Flat(output));
    }

    [Fact]
    public void PredictOnAFileThatIsNoImageIsBadData()
    {
        Train();
        var junk = files.Write("photo.png", [1, 2, 3, 4]);
        var (code, _, error) = Run("predict", "--checkpoint", Checkpoint, "--input", junk);
        Assert.Equal(ErrorReport.InputError, code);
        Assert.Contains($"Bad data file '{junk}': is not a readable PNG image.", Flat(error));

        var wrongSize = files.Write("small-ubyte", IdxFiles.Encode([2, 14, 14], new byte[2 * 14 * 14]));
        (code, _, error) = Run("predict", "--checkpoint", Checkpoint, "--input", wrongSize);
        Assert.Equal(ErrorReport.InputError, code);
        Assert.Contains("holds an array of shape (2, 14, 14); predict takes images [N, 28, 28]", Flat(error));
    }
}
