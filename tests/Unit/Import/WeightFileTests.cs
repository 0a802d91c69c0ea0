using System.Text;
using MiniHaiku.Import;

namespace MiniHaiku.Tests.Import;

public sealed class WeightFileTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("minihaiku-import-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static float[] Floats(Tensor t) => t.to(float32).contiguous().data<float>().ToArray();

    [Fact]
    public void ReadsAnNpzOfStoredAndDeflatedEntriesWithHaikuNames()
    {
        var path = Write("params.npz", SpecFiles.Zip(
            new SpecFiles.ZipEntry("mlp/~/linear_0/w.npy", SpecFiles.Npy("<f4", [2, 3], SpecFiles.LittleF32(1, 2, 3, 4, 5, 6))),
            new SpecFiles.ZipEntry("mlp/~/linear_0/b.npy", SpecFiles.Npy("<f4", [3], SpecFiles.LittleF32(7, 8, 9)), Deflate: true),
            new SpecFiles.ZipEntry("step.npy", SpecFiles.Npy("<i8", [], BitConverter.GetBytes(42L)), Deflate: true, Zip64Local: true)));
        var arrays = WeightFile.Read(path);
        try
        {
            Assert.Equal(["mlp/~/linear_0/b", "mlp/~/linear_0/w", "step"], arrays.Keys);
            Assert.Equal([1f, 2, 3, 4, 5, 6], Floats(arrays["mlp/~/linear_0/w"]));
            Assert.Equal([2L, 3], arrays["mlp/~/linear_0/w"].shape);
            Assert.Equal([7f, 8, 9], Floats(arrays["mlp/~/linear_0/b"]));
            Assert.Equal(42L, arrays["step"].item<long>());
        }
        finally
        {
            arrays.DisposeTensors();
        }
    }

    [Fact]
    public void ReadsAPlainNpyFileNamedAfterTheFile()
    {
        var path = Write("kernel.npy", SpecFiles.Npy("<f4", [2], SpecFiles.LittleF32(1, 2)));
        var arrays = WeightFile.Read(path);
        Assert.Equal(["kernel"], arrays.Keys);
        Assert.Equal([1f, 2], Floats(arrays["kernel"]));
        arrays.DisposeTensors();
    }

    [Fact]
    public void ReadsASafetensorsStateDict()
    {
        var path = Write("model.safetensors", SpecFiles.SafeTensors(
            """{"fc.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"fc.bias":{"dtype":"F16","shape":[2],"data_offsets":[16,20]},"__metadata__":{"format":"pt"}}""",
            [.. SpecFiles.LittleF32(1, 2, 3, 4), 0x00, 0x3C, 0x00, 0x40]));
        var arrays = WeightFile.Read(path);
        Assert.Equal(["fc.bias", "fc.weight"], arrays.Keys);
        Assert.Equal([1f, 2, 3, 4], Floats(arrays["fc.weight"]));
        Assert.Equal(float16, arrays["fc.bias"].dtype);
        Assert.Equal([1f, 2], Floats(arrays["fc.bias"]));
        arrays.DisposeTensors();
    }

    [Fact]
    public void ABadEntryInsideAnNpzNamesTheFileAndTheEntry()
    {
        var path = Write("params.npz", SpecFiles.Zip(
            new SpecFiles.ZipEntry("a.npy", SpecFiles.Npy("<f4", [1], SpecFiles.LittleF32(1))),
            new SpecFiles.ZipEntry("mlp/~/linear_0/w.npy", SpecFiles.Npy("|O", [1], [0]), Deflate: true)));
        var e = Assert.Throws<WeightFileException>(() => WeightFile.Read(path));
        Assert.Equal(path, e.FilePath);
        Assert.Equal("mlp/~/linear_0/w.npy", e.Entry);
        Assert.Contains("pickled arrays are never loaded", e.Message);
    }

    [Fact]
    public void ANonNpyEntryInAnNpzIsNamed()
    {
        var path = Write("params.npz", SpecFiles.Zip(new SpecFiles.ZipEntry("readme.txt", Encoding.ASCII.GetBytes("hi"))));
        var e = Assert.Throws<WeightFileException>(() => WeightFile.Read(path));
        Assert.Equal("readme.txt", e.Entry);
        Assert.Contains("is not an .npy array", e.Message);
    }

    [Fact]
    public void TruncatedCorruptAndMissingFilesAreWeightFileExceptions()
    {
        var zip = SpecFiles.Zip(new SpecFiles.ZipEntry("w.npy", SpecFiles.Npy("<f4", [64], new byte[256]), Deflate: true));
        var truncated = Write("truncated.npz", zip[..(zip.Length / 2)]);
        var e1 = Assert.Throws<WeightFileException>(() => WeightFile.Read(truncated));
        Assert.Equal(truncated, e1.FilePath);
        Assert.Contains("zip", e1.Message);

        var notAnything = Write("junk.safetensors", Encoding.ASCII.GetBytes("hello, world"));
        var e2 = Assert.Throws<WeightFileException>(() => WeightFile.Read(notAnything));
        Assert.Contains("is not an npz, npy or valid safetensors file", e2.Message);

        var missing = Path.Combine(dir, "nope.npz");
        var e3 = Assert.Throws<WeightFileException>(() => WeightFile.Read(missing));
        Assert.Equal($"Weight file '{missing}': does not exist.", e3.Message);
    }

    [Fact]
    public void AZipWhoseDeflatedDataIsCorruptNamesTheEntry()
    {
        var zip = SpecFiles.Zip(new SpecFiles.ZipEntry("w.npy", SpecFiles.Npy("<f4", [64], new byte[256]), Deflate: true));
        // Overwrite the compressed data (after the 30-byte local header and the 5-byte name) with a reserved block type.
        for (var i = 35; i < 41; i++) zip[i] = 0xFF;
        var path = Write("corrupt.npz", zip);
        var e = Assert.Throws<WeightFileException>(() => WeightFile.Read(path));
        Assert.Equal("w.npy", e.Entry);
    }
}
