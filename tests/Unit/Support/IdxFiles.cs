using System.Buffers.Binary;
using System.IO.Compression;

namespace MiniHaiku.Tests.Support;

/// <summary>Writes small IDX files (plain or gzip) into a fresh temporary folder for data tests.</summary>
public sealed class IdxFiles : IDisposable
{
    public IdxFiles()
    {
        Directory = Path.Combine(Path.GetTempPath(), "minihaiku-idx-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    /// <summary>The bytes of an IDX file of unsigned bytes with the given shape and data.</summary>
    public static byte[] Encode(int[] shape, byte[] data, byte type = 0x08, int? dimsOverride = null)
    {
        var header = new byte[4 + 4 * shape.Length];
        header[2] = type;
        header[3] = (byte)(dimsOverride ?? shape.Length);
        for (var i = 0; i < shape.Length; i++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), shape[i]);
        return [.. header, .. data];
    }

    public static byte[] Gzip(byte[] content)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest)) gz.Write(content);
        return output.ToArray();
    }

    public string Write(string name, byte[] content)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    /// <summary>Writes images [n, rows, cols] whose pixel i is (i * 7 + seed) mod 256 and labels i mod 10.</summary>
    public (string Images, string Labels) WriteSplit(string imagesName, string labelsName, int n, int rows = 28, int cols = 28, bool gzip = true, int seed = 0)
    {
        var pixels = Pixels(n * rows * cols, seed);
        var labels = Enumerable.Range(0, n).Select(i => (byte)(i % 10)).ToArray();
        var images = Encode([n, rows, cols], pixels);
        var labelFile = Encode([n], labels);
        return (Write(imagesName, gzip ? Gzip(images) : images), Write(labelsName, gzip ? Gzip(labelFile) : labelFile));
    }

    public static byte[] Pixels(int count, int seed = 0) => Enumerable.Range(0, count).Select(i => (byte)((i * 7 + seed) % 256)).ToArray();

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
