using MiniHaiku.Data;
using MiniHaiku.Tests.Support;

namespace MiniHaiku.Tests.Data;

public class FashionMnistTests : IDisposable
{
    private readonly IdxFiles files = new();

    public void Dispose() => files.Dispose();

    private void WriteAll(bool gzip = true, int train = 20, int test = 10)
    {
        files.WriteSplit(Name(FashionMnist.TrainImagesFile, gzip), Name(FashionMnist.TrainLabelsFile, gzip), train, gzip: gzip, seed: 1);
        files.WriteSplit(Name(FashionMnist.TestImagesFile, gzip), Name(FashionMnist.TestLabelsFile, gzip), test, gzip: gzip, seed: 2);
    }

    private static string Name(string gzName, bool gzip) => gzip ? gzName : Path.GetFileNameWithoutExtension(gzName);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void LoadsBothSplitsAsScaledFloatImagesAndInt64Labels(bool gzip)
    {
        WriteAll(gzip);
        Assert.True(FashionMnist.Exists(files.Directory));

        var (train, test) = FashionMnist.Load(files.Directory);
        using (train)
        using (test)
        {
            Assert.Equal([20L, 1, 28, 28], train.Images.shape);
            Assert.Equal([10L, 1, 28, 28], test.Images.shape);
            Assert.Equal(ScalarType.Float32, train.Images.dtype);
            Assert.Equal(ScalarType.Int64, train.Labels.dtype);
            Assert.Equal(20, train.Count);

            var expected = IdxFiles.Pixels(20 * 28 * 28, seed: 1);
            var flat = train.Images.reshape(-1);
            foreach (var i in new[] { 0, 1, 37, 784, 20 * 28 * 28 - 1 })
                Assert.Equal(expected[i] / 255f, flat[i].item<float>(), 6);
            Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)(i % 10)).ToArray(), test.Labels.data<long>().ToArray());
            Assert.True(train.Images.min().item<float>() >= 0f);
            Assert.True(train.Images.max().item<float>() <= 1f);
        }
    }

    [Fact]
    public void LoadTestReadsOnlyTheTestFiles()
    {
        WriteAll(train: 20, test: 10);
        File.Delete(Path.Combine(files.Directory, FashionMnist.TrainImagesFile));
        using var test = FashionMnist.LoadTest(files.Directory);
        Assert.Equal(10, test.Count);
        Assert.Equal([10L, 1, 28, 28], test.Images.shape);
    }

    [Fact]
    public void MissingFolderIsAClearError()
    {
        var dir = Path.Combine(files.Directory, "absent");
        var e = Assert.Throws<DataFileNotFoundException>(() => FashionMnist.Load(dir));
        Assert.Equal(dir, e.FilePath);
        Assert.Contains("dataset-fashion-mnist", e.Message);
        Assert.False(FashionMnist.Exists(dir));
    }

    [Fact]
    public void MissingFileNamesTheFile()
    {
        WriteAll();
        File.Delete(Path.Combine(files.Directory, FashionMnist.TestLabelsFile));
        Assert.False(FashionMnist.Exists(files.Directory));
        var e = Assert.Throws<DataFileNotFoundException>(() => FashionMnist.Load(files.Directory));
        Assert.EndsWith(FashionMnist.TestLabelsFile, e.FilePath);
    }

    [Fact]
    public void MismatchedImageAndLabelCountsAreReported()
    {
        WriteAll();
        files.Write(FashionMnist.TrainLabelsFile, IdxFiles.Gzip(IdxFiles.Encode([19], new byte[19])));
        var e = Assert.Throws<DataMismatchException>(() => FashionMnist.Load(files.Directory));
        Assert.Equal(20, e.ImageCount);
        Assert.Equal(19, e.LabelCount);
        Assert.EndsWith(FashionMnist.TrainImagesFile, e.ImagesPath);
        Assert.EndsWith(FashionMnist.TrainLabelsFile, e.LabelsPath);
        Assert.Contains("holds 20 images but", e.Message);
        Assert.Contains("holds 19 labels", e.Message);
        Assert.Contains("same split", e.Message);
    }

    [Fact]
    public void SwappedImageAndLabelFilesAreReportedAsWrongMagic()
    {
        WriteAll();
        var images = Path.Combine(files.Directory, FashionMnist.TestImagesFile);
        var labels = Path.Combine(files.Directory, FashionMnist.TestLabelsFile);
        var e = Assert.Throws<DataFormatException>(() => FashionMnist.LoadFiles(labels, images));
        Assert.Equal(labels, e.FilePath);
        Assert.Contains("magic number", e.Message);
        Assert.Contains("were the files swapped?", e.Message);
    }

    [Fact]
    public void LabelOutOfRangeIsReported()
    {
        WriteAll();
        var labels = Enumerable.Repeat((byte)3, 10).ToArray();
        labels[4] = 12;
        files.Write(FashionMnist.TestLabelsFile, IdxFiles.Gzip(IdxFiles.Encode([10], labels)));
        var e = Assert.Throws<DataFormatException>(() => FashionMnist.Load(files.Directory));
        Assert.Contains("label 12 at index 4", e.Message);
    }

    [Fact]
    public void LoadEmbeddedWithoutResourcesNamesTheMissingResource()
    {
        var e = Assert.Throws<DataFileNotFoundException>(() => FashionMnist.LoadEmbedded(typeof(FashionMnistTests).Assembly));
        Assert.Contains(FashionMnist.TrainImagesFile, e.FilePath);
    }

    [Fact]
    public void ClassNamesCoverEveryLabel() => Assert.Equal(FashionMnist.ClassCount, FashionMnist.ClassNames.Count);
}
