using System.Buffers.Binary;
using System.IO.Compression;

namespace MiniHaiku.Data;

/// <summary>
/// Reads IDX files (the format of MNIST and Fashion-MNIST), plain or gzip-compressed (detected from the
/// content, not the name). Only the unsigned-byte element type (0x08) is supported. Every problem is
/// reported as a <see cref="DataFormatException"/> or <see cref="DataFileNotFoundException"/> naming the file.
/// </summary>
public static class IdxReader
{
    /// <summary>The element-type byte of unsigned 8-bit data.</summary>
    public const byte UnsignedByteType = 0x08;

    /// <summary>Reads an IDX file from disk.</summary>
    /// <param name="path">The file, plain or gzip.</param>
    /// <param name="expectedDimensions">If given, the number of dimensions the file must have.</param>
    /// <returns>The shape and bytes.</returns>
    /// <exception cref="DataFileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">The file is not a readable IDX file of unsigned bytes.</exception>
    public static IdxArray Read(string path, int? expectedDimensions = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new DataFileNotFoundException(path);
        byte[] raw;
        try { raw = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException(path, "it cannot be read: " + e.Message, e);
        }
        return Parse(raw, path, expectedDimensions);
    }

    /// <summary>Reads an IDX file from a stream (e.g. an embedded resource).</summary>
    /// <param name="stream">The content, plain or gzip. It is read to the end, not disposed.</param>
    /// <param name="name">The name used in error messages.</param>
    /// <param name="expectedDimensions">If given, the number of dimensions the content must have.</param>
    /// <returns>The shape and bytes.</returns>
    /// <exception cref="DataFormatException">The content is not a readable IDX file of unsigned bytes.</exception>
    public static IdxArray Read(Stream stream, string name, int? expectedDimensions = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        using var buffer = new MemoryStream();
        try { stream.CopyTo(buffer); }
        catch (IOException e) { throw new DataFormatException(name, "it cannot be read: " + e.Message, e); }
        return Parse(buffer.ToArray(), name, expectedDimensions);
    }

    /// <summary>Parses the bytes of an IDX file, plain or gzip.</summary>
    /// <param name="content">The file's bytes.</param>
    /// <param name="name">The name used in error messages.</param>
    /// <param name="expectedDimensions">If given, the number of dimensions the content must have.</param>
    /// <returns>The shape and bytes.</returns>
    /// <exception cref="DataFormatException">The content is not a readable IDX file of unsigned bytes.</exception>
    public static IdxArray Parse(byte[] content, string name, int? expectedDimensions = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(name);
        var bytes = IsGzip(content) ? Gunzip(content, name) : content;
        if (bytes.Length < 4)
            throw new DataFormatException(name, $"it is {bytes.Length} bytes long, shorter than the 4-byte IDX magic number (empty or truncated file).");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw new DataFormatException(name,
                $"wrong magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(bytes):X8}: an IDX file starts with two zero bytes, a type byte and a dimension count (e.g. 0x00000803 for images, 0x00000801 for labels). This is not an IDX file.");
        var type = bytes[2];
        int dims = bytes[3];
        if (type != UnsignedByteType)
            throw new DataFormatException(name, $"element type 0x{type:X2} is not supported (magic 0x{BinaryPrimitives.ReadUInt32BigEndian(bytes):X8}); only unsigned bytes (0x08) are.");
        if (dims == 0)
            throw new DataFormatException(name, "the magic number declares 0 dimensions.");
        if (expectedDimensions is { } want && dims != want)
            throw new DataFormatException(name,
                $"wrong magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(bytes):X8}: it declares {dims} dimension(s) but {want} are expected (0x0000080{want}). Images have 3, labels 1 — were the files swapped?");
        var headerLength = 4 + 4 * dims;
        if (bytes.Length < headerLength)
            throw new DataFormatException(name, $"truncated header: {dims} dimension sizes need {headerLength} bytes but the file has {bytes.Length}.");
        var shape = new int[dims];
        long count = 1;
        for (var i = 0; i < dims; i++)
        {
            var size = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * i));
            if (size < 0) throw new DataFormatException(name, $"dimension {i} has a negative size ({size}).");
            shape[i] = size;
            count *= size;
            if (count > Array.MaxLength)
                throw new DataFormatException(name, $"the declared shape [{string.Join(", ", shape.Take(i + 1))}…] has more elements than can be loaded.");
        }
        var available = bytes.Length - headerLength;
        if (available < count)
            throw new DataFormatException(name,
                $"truncated data: the shape [{string.Join(", ", shape)}] needs {count} bytes after the header but only {available} are present.");
        if (available > count)
            throw new DataFormatException(name,
                $"{available - count} unexpected bytes after the data of shape [{string.Join(", ", shape)}] (corrupt file or wrong header).");
        var data = bytes.AsSpan(headerLength).ToArray();
        return new IdxArray(shape, data);
    }

    private static bool IsGzip(byte[] content) => content.Length >= 2 && content[0] == 0x1F && content[1] == 0x8B;

    private static byte[] Gunzip(byte[] content, string name)
    {
        try
        {
            using var input = new MemoryStream(content, writable: false);
            using var gzip = new GZipStream(input, CompressionMode.Decompress);
            using var output = new MemoryStream();
            gzip.CopyTo(output);
            return output.ToArray();
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new DataFormatException(name, "it looks like gzip but cannot be decompressed (corrupt or truncated download): " + e.Message, e);
        }
    }
}
