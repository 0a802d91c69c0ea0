using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace MiniHaiku.Tests.Import;

/// <summary>
/// Writes npy, npz (zip) and safetensors files byte by byte from the formats' specifications, independently of the
/// library's readers and writers: NumPy's format.py docs (NEP 1), PKWARE's APPNOTE (local header, central directory,
/// end record, zip64 extra field 0x0001), and huggingface/safetensors' README.
/// </summary>
public static class SpecFiles
{
    /// <summary>An npy file: magic, version, header length, a space-padded dict literal ending in '\n' aligned to 64 bytes, data.</summary>
    public static byte[] Npy(string descr, long[] shape, byte[] data, bool fortran = false, int major = 1, string? header = null)
    {
        var shapeText = shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";
        header ??= $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': {shapeText}, }}";
        var encoding = major == 3 ? Encoding.UTF8 : Encoding.Latin1;
        var headerBytes = encoding.GetBytes(header);
        var preamble = major == 1 ? 10 : 12;
        var total = preamble + headerBytes.Length + 1;
        var padding = (64 - total % 64) % 64;
        var full = new byte[headerBytes.Length + padding + 1];
        headerBytes.CopyTo(full, 0);
        for (var i = headerBytes.Length; i < full.Length - 1; i++) full[i] = (byte)' ';
        full[^1] = (byte)'\n';
        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0]);
        if (major == 1) ms.Write(BitConverter.GetBytes((ushort)full.Length));
        else ms.Write(BitConverter.GetBytes((uint)full.Length));
        ms.Write(full);
        ms.Write(data);
        return ms.ToArray();
    }

    public static byte[] LittleF32(params float[] values)
    {
        var b = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(i * 4), values[i]);
        return b;
    }

    public static byte[] BigF64(params double[] values)
    {
        var b = new byte[values.Length * 8];
        for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteDoubleBigEndian(b.AsSpan(i * 8), values[i]);
        return b;
    }

    /// <summary>A zip entry: name, content, deflate-compressed or stored, and whether the local header carries numpy's forced zip64 sizes.</summary>
    public sealed record ZipEntry(string Name, byte[] Content, bool Deflate = false, bool Zip64Local = false);

    /// <summary>A zip archive (PKWARE APPNOTE 4.3): local file headers with data, the central directory, the end record.</summary>
    public static byte[] Zip(params ZipEntry[] entries)
    {
        var ms = new MemoryStream();
        var central = new MemoryStream();
        foreach (var e in entries)
        {
            var name = Encoding.UTF8.GetBytes(e.Name);
            var data = e.Content;
            if (e.Deflate)
            {
                var c = new MemoryStream();
                using (var d = new DeflateStream(c, CompressionLevel.Optimal, leaveOpen: true)) d.Write(e.Content);
                data = c.ToArray();
            }
            var crc = Crc32(e.Content);
            var offset = (uint)ms.Position;
            var method = (ushort)(e.Deflate ? 8 : 0);
            var extra = e.Zip64Local ? Zip64Extra(e.Content.Length, data.Length) : [];
            W32(ms, 0x04034b50); W16(ms, e.Zip64Local ? (ushort)45 : (ushort)20); W16(ms, 0); W16(ms, method);
            W16(ms, 0); W16(ms, 0x21); // time 00:00, date 1980-01-01
            W32(ms, crc);
            W32(ms, e.Zip64Local ? 0xFFFFFFFF : (uint)data.Length);
            W32(ms, e.Zip64Local ? 0xFFFFFFFF : (uint)e.Content.Length);
            W16(ms, (ushort)name.Length); W16(ms, (ushort)extra.Length);
            ms.Write(name); ms.Write(extra); ms.Write(data);

            W32(central, 0x02014b50); W16(central, 20); W16(central, 20); W16(central, 0); W16(central, method);
            W16(central, 0); W16(central, 0x21); W32(central, crc);
            W32(central, (uint)data.Length); W32(central, (uint)e.Content.Length);
            W16(central, (ushort)name.Length); W16(central, 0); W16(central, 0); W16(central, 0); W16(central, 0);
            W32(central, 0); W32(central, offset);
            central.Write(name);
        }
        var centralOffset = (uint)ms.Position;
        ms.Write(central.ToArray());
        W32(ms, 0x06054b50); W16(ms, 0); W16(ms, 0); W16(ms, (ushort)entries.Length); W16(ms, (ushort)entries.Length);
        W32(ms, (uint)central.Length); W32(ms, centralOffset); W16(ms, 0);
        return ms.ToArray();
    }

    private static byte[] Zip64Extra(long uncompressed, long compressed)
    {
        var b = new byte[20];
        BinaryPrimitives.WriteUInt16LittleEndian(b, 0x0001);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2), 16);
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(4), uncompressed);
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(12), compressed);
        return b;
    }

    /// <summary>A safetensors file: u64 little-endian header length, a JSON header, the data.</summary>
    public static byte[] SafeTensors(string headerJson, byte[] data)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        var ms = new MemoryStream();
        W32(ms, (uint)header.Length); W32(ms, 0);
        ms.Write(header);
        ms.Write(data);
        return ms.ToArray();
    }

    private static void W16(Stream s, ushort v) { Span<byte> b = stackalloc byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(b, v); s.Write(b); }

    private static void W32(Stream s, uint v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); s.Write(b); }

    /// <summary>CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as zip requires.</summary>
    public static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var x in data)
        {
            crc ^= x;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }
}
