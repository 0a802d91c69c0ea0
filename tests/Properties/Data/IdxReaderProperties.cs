using System.Buffers.Binary;
using System.IO.Compression;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MiniHaiku.Data;

namespace MiniHaiku.Tests.Properties.Data;

public class IdxReaderProperties
{
    private static byte[] Encode(int[] shape, byte[] data)
    {
        var header = new byte[4 + 4 * shape.Length];
        header[2] = 0x08;
        header[3] = (byte)shape.Length;
        for (var i = 0; i < shape.Length; i++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), shape[i]);
        return [.. header, .. data];
    }

    private static byte[] Gzip(byte[] content)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest)) gz.Write(content);
        return output.ToArray();
    }

    [Property]
    public bool ParseInvertsEncodingPlainOrGzip(byte[] data, PositiveInt rowsSeed, bool gzip)
    {
        // Shape [rows, cols] when data.Length divides evenly, else [data.Length].
        var rows = data.Length == 0 ? 1 : rowsSeed.Get % data.Length + 1;
        int[] shape = data.Length % rows == 0 ? [rows, data.Length / rows] : [data.Length];
        var content = Encode(shape, data);
        var idx = IdxReader.Parse(gzip ? Gzip(content) : content, "p");
        return idx.Shape.SequenceEqual(shape) && idx.Data.SequenceEqual(data);
    }

    [Property]
    public Property EveryStrictPrefixOfAValidFileIsADataFormatException(NonEmptyArray<byte> data)
    {
        var content = Encode([data.Get.Length], data.Get);
        return Prop.ForAll(Gen.Choose(0, content.Length - 1).ToArbitrary(), cut =>
        {
            try
            {
                IdxReader.Parse(content[..cut], "cut");
                return false;
            }
            catch (DataFormatException e)
            {
                return e.FilePath == "cut";
            }
        });
    }
}
