using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MiniHaiku.Import;

namespace MiniHaiku.Tests.Properties.Import;

public class ImportProperties
{
    private static readonly (string Code, ScalarType Type, int Size)[] DTypes =
    [
        ("f2", ScalarType.Float16, 2), ("f4", ScalarType.Float32, 4), ("f8", ScalarType.Float64, 8), ("i1", ScalarType.Int8, 1),
        ("i2", ScalarType.Int16, 2), ("i4", ScalarType.Int32, 4), ("i8", ScalarType.Int64, 8), ("u1", ScalarType.Byte, 1),
    ];

    /// <summary>An npy file written from NEP 1's description: magic, version 1.0, u16 header length, padded dict, data.</summary>
    private static byte[] NpyBytes(string descr, bool fortran, long[] shape, byte[] data)
    {
        var shapeText = shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";
        var dict = $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': {shapeText}, }}";
        var padded = dict.PadRight((10 + dict.Length + 1 + 63) / 64 * 64 - 10 - 1) + "\n";
        var header = Encoding.Latin1.GetBytes(padded);
        return [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)(header.Length & 0xFF), (byte)(header.Length >> 8), .. header, .. data];
    }

    /// <summary>Parse(npy bytes of t) == t bitwise, for every dtype, byte order, C or Fortran order and shape of rank 0 to 4 (empty ones included).</summary>
    [Property(MaxTest = 60)]
    public bool NpyOfAnyLayoutParsesToTheSameArray(PositiveInt seed, byte dtypeIndex, bool bigEndian, bool fortran, byte[] dims)
    {
        var (code, type, size) = DTypes[dtypeIndex % DTypes.Length];
        var shape = (dims ?? []).Take(4).Select(d => (long)(d % 4)).ToArray();
        using var g = new torch.Generator((ulong)seed.Get);
        using var t = (torch.randn(shape, ScalarType.Float64, generator: g) * 50).to_type(type);
        // Fortran order: the column-major data is the C-order data of the transposed (axes reversed) array.
        using var stored = fortran && shape.Length > 1 ? t.permute(Enumerable.Range(0, shape.Length).Reverse().Select(i => (long)i).ToArray()).contiguous() : t.contiguous();
        var data = t.numel() == 0 ? [] : stored.bytes.ToArray();
        if (bigEndian && size > 1)
            for (var i = 0; i < data.Length; i += size) Array.Reverse(data, i, size);
        var descr = (size == 1 ? "|" : bigEndian ? ">" : "<") + code;
        using var parsed = MiniHaiku.Import.Npy.Parse(NpyBytes(descr, fortran, shape, data), "p.npy");
        return parsed.dtype == type && parsed.shape.SequenceEqual(shape) && parsed.is_contiguous()
               && (t.numel() == 0 || parsed.bytes.ToArray().SequenceEqual(t.contiguous().bytes.ToArray()));
    }

    /// <summary>HwioToOihw ∘ OihwToHwio is the identity, and OihwToHwio moves element [o, i, s…] to [s…, i, o], for 1 to 3 spatial axes.</summary>
    [Property(MaxTest = 40)]
    public bool OihwAndHwioAreInversePermutations(PositiveInt seed, byte rankSeed, byte[] pick)
    {
        var rank = 3 + rankSeed % 3;
        using var g = new torch.Generator((ulong)seed.Get);
        var shape = Enumerable.Range(0, rank).Select(i => 1 + (long)((pick is { Length: > 0 } ? pick[i % pick.Length] : i) % 4)).ToArray();
        using var k = torch.randn(shape, generator: g);
        using var hwio = WeightLayouts.OihwToHwio(k);
        using var back = WeightLayouts.HwioToOihw(hwio);
        var index = shape.Select((d, i) => (pick is { Length: > 0 } ? pick[(i + 1) % pick.Length] : i) % d).ToArray();
        var moved = index.Skip(2).Append(index[1]).Append(index[0]).ToArray();
        return back.eq(k).all().item<bool>()
               && hwio.shape.SequenceEqual(shape.Skip(2).Append(shape[1]).Append(shape[0]))
               && k[index.Select(i => TensorIndex.Single(i)).ToArray()].item<float>() == hwio[moved.Select(i => TensorIndex.Single(i)).ToArray()].item<float>();
    }
}
