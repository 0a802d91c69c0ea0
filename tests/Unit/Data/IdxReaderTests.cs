using MiniHaiku.Data;
using MiniHaiku.Tests.Support;

namespace MiniHaiku.Tests.Data;

public class IdxReaderTests : IDisposable
{
    private readonly IdxFiles files = new();

    public void Dispose() => files.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsShapeAndDataOfPlainAndGzipFiles(bool gzip)
    {
        var data = IdxFiles.Pixels(3 * 4 * 5, seed: 11);
        var content = IdxFiles.Encode([3, 4, 5], data);
        var path = files.Write("a.idx", gzip ? IdxFiles.Gzip(content) : content);

        var idx = IdxReader.Read(path);

        Assert.Equal([3, 4, 5], idx.Shape);
        Assert.Equal(data, idx.Data);
        Assert.Equal(60, idx.ElementCount);
    }

    [Fact]
    public void ReadsFromAStream()
    {
        var data = new byte[] { 9, 8, 7 };
        using var stream = new MemoryStream(IdxFiles.Gzip(IdxFiles.Encode([3], data)));
        var idx = IdxReader.Read(stream, "labels-resource", expectedDimensions: 1);
        Assert.Equal([3], idx.Shape);
        Assert.Equal(data, idx.Data);
    }

    [Fact]
    public void MissingFileNamesThePath()
    {
        var path = Path.Combine(files.Directory, "nope.gz");
        var e = Assert.Throws<DataFileNotFoundException>(() => IdxReader.Read(path));
        Assert.Equal(path, e.FilePath);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void WrongMagicNumberIsReportedWithTheFileName()
    {
        var path = files.Write("text.gz", "hello, this is not IDX"u8.ToArray());
        var e = Assert.Throws<DataFormatException>(() => IdxReader.Read(path));
        Assert.Equal(path, e.FilePath);
        Assert.Contains("magic number", e.Message);
        Assert.Contains("0x68656C6C", e.Message);
    }

    [Fact]
    public void WrongDimensionCountInTheMagicNumberSuggestsSwappedFiles()
    {
        var path = files.Write("labels-as-images.gz", IdxFiles.Gzip(IdxFiles.Encode([4], [1, 2, 3, 4])));
        var e = Assert.Throws<DataFormatException>(() => IdxReader.Read(path, expectedDimensions: 3));
        Assert.Contains("0x00000801", e.Message);
        Assert.Contains("swapped", e.Message);
    }

    [Fact]
    public void UnsupportedElementTypeIsRejected()
    {
        var path = files.Write("floats.idx", IdxFiles.Encode([1], [0, 0, 0, 0], type: 0x0D));
        var e = Assert.Throws<DataFormatException>(() => IdxReader.Read(path));
        Assert.Contains("element type 0x0D", e.Message);
    }

    [Fact]
    public void EmptyFileIsRejected()
    {
        var path = files.Write("empty.gz", []);
        var e = Assert.Throws<DataFormatException>(() => IdxReader.Read(path));
        Assert.Contains("0 bytes long", e.Message);
    }

    [Fact]
    public void TruncatedHeaderIsRejected()
    {
        var content = IdxFiles.Encode([2, 2, 2], new byte[8]);
        var path = files.Write("short-header.idx", content[..9]);
        var e = Assert.Throws<DataFormatException>(() => IdxReader.Read(path));
        Assert.Contains("truncated header", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedDataIsRejected(bool gzip)
    {
        var content = IdxFiles.Encode([10, 28, 28], IdxFiles.Pixels(10 * 28 * 28));
        var cut = content[..(content.Length - 100)];
        var path = files.Write("cut.idx", gzip ? IdxFiles.Gzip(cut) : cut);
        var e = Assert.Throws<DataFormatException>(() => IdxReader.Read(path));
        Assert.Contains("truncated data", e.Message);
        Assert.Contains($"{10 * 28 * 28} bytes", e.Message);
    }

    [Fact]
    public void TrailingBytesAreRejected()
    {
        var content = IdxFiles.Encode([2], [1, 2]);
        var path = files.Write("long.idx", [.. content, 0, 0, 0]);
        var e = Assert.Throws<DataFormatException>(() => IdxReader.Read(path));
        Assert.Contains("3 unexpected bytes", e.Message);
    }

    [Fact]
    public void CorruptGzipIsRejected()
    {
        var gz = IdxFiles.Gzip(IdxFiles.Encode([100], IdxFiles.Pixels(100)));
        for (var i = 10; i < gz.Length - 8; i++) gz[i] ^= 0x5A;
        var path = files.Write("corrupt.gz", gz);
        var e = Assert.Throws<DataFormatException>(() => IdxReader.Read(path));
        Assert.Equal(path, e.FilePath);
    }

    [Fact]
    public void NegativeDimensionIsRejected()
    {
        var path = files.Write("negative.idx", IdxFiles.Encode([-1], []));
        var e = Assert.Throws<DataFormatException>(() => IdxReader.Read(path));
        Assert.Contains("negative size", e.Message);
    }
}
