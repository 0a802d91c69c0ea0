using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Import;

/// <summary>
/// Reads NumPy's <c>.npy</c> format (versions 1.0, 2.0 and 3.0): the magic <c>\x93NUMPY</c>, a version, a header
/// length (2 bytes in 1.0, 4 bytes later), a Python dict literal giving <c>descr</c>, <c>fortran_order</c> and
/// <c>shape</c>, then the raw array data.
/// </summary>
/// <remarks>
/// Supported dtypes: <c>f2 f4 f8</c>, <c>i1 i2 i4 i8</c>, <c>u1</c>, <c>b1</c> (bool), and <c>V2</c> (how
/// <c>np.save</c> stores a bfloat16 array of <c>ml_dtypes</c>/JAX), read as bfloat16. Both byte orders
/// (<c>&lt;</c>, <c>&gt;</c>, <c>|</c>, <c>=</c>) and both C and Fortran order are read; the tensor is always
/// C-contiguous in the machine's order. <c>u2 u4 u8</c> have no TorchSharp dtype and are rejected, as are object
/// (pickled), string and complex arrays.
/// </remarks>
public static class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
    private const int MaxHeaderBytes = 1 << 20;

    /// <summary>Parses a whole <c>.npy</c> file held in memory.</summary>
    /// <param name="bytes">The file's bytes.</param>
    /// <param name="filePath">The file, for error messages.</param>
    /// <param name="entry">The entry inside an <c>.npz</c>, or null for a plain <c>.npy</c> file.</param>
    /// <returns>A new CPU tensor (the caller owns it).</returns>
    /// <exception cref="WeightFileException">The bytes are not a valid npy array of a supported dtype.</exception>
    public static Tensor Parse(ReadOnlySpan<byte> bytes, string filePath, string? entry = null)
    {
        ArgumentNullException.ThrowIfNull(filePath);
        WeightFileException Bad(string problem) => new(filePath, entry, problem);
        if (bytes.Length < 10 || !bytes[..6].SequenceEqual(Magic))
            throw Bad("is not a NumPy .npy array: it does not start with the magic \\x93NUMPY.");
        var major = bytes[6];
        int headerLength, headerStart;
        switch (major)
        {
            case 1:
                headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]);
                headerStart = 10;
                break;
            case 2 or 3:
                if (bytes.Length < 12) throw Bad("is truncated inside its npy preamble.");
                var length = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
                if (length > MaxHeaderBytes) throw Bad($"has an implausible npy header length of {length} bytes.");
                headerLength = (int)length;
                headerStart = 12;
                break;
            default:
                throw Bad($"has npy format version {major}.{bytes[7]}; versions 1.0, 2.0 and 3.0 are supported.");
        }
        if (headerStart + headerLength > bytes.Length)
            throw Bad($"is truncated: its npy header claims {headerLength} bytes but only {bytes.Length - headerStart} follow.");
        var headerBytes = bytes.Slice(headerStart, headerLength);
        string header;
        try
        {
            header = major == 3 ? new UTF8Encoding(false, true).GetString(headerBytes) : Encoding.Latin1.GetString(headerBytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new WeightFileException(filePath, entry, "has an npy 3.0 header that is not valid UTF-8.", e);
        }
        var (descr, fortran, shape) = ParseHeader(header, Bad);
        var (dtype, size, swap) = ParseDescr(descr, Bad);

        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw Bad($"has a negative dimension in shape ({string.Join(", ", shape)}).");
            count = checked(count * d);
        }
        var data = bytes[(headerStart + headerLength)..];
        var needed = checked(count * size);
        if (data.Length < needed)
            throw Bad($"is truncated: shape ({string.Join(", ", shape)}) of '{descr}' needs {needed} data bytes but only {data.Length} are present.");
        if (data.Length > needed)
            throw Bad($"has {data.Length - needed} bytes of trailing data after the array of shape ({string.Join(", ", shape)}) of '{descr}'.");
        if (needed > int.MaxValue) throw Bad($"holds {needed} bytes; arrays over 2 GB are not supported.");

        var raw = data.ToArray();
        if (swap && size > 1)
            for (var i = 0; i < raw.Length; i += size) Array.Reverse(raw, i, size);
        if (dtype == ScalarType.Bool)
            foreach (var b in raw)
                if (b > 1) throw Bad($"holds a bool byte of value {b}; a bool array holds only 0 and 1.");

        // Fortran order: the data is the C-order layout of the reversed shape; permute the axes back.
        var storedShape = fortran ? shape.Reverse().ToArray() : shape;
        using var scope = torch.NewDisposeScope();
        var tensor = torch.empty(storedShape, dtype);
        if (raw.Length > 0) tensor.bytes = raw;
        if (fortran && shape.Length > 1)
            tensor = tensor.permute(Enumerable.Range(0, shape.Length).Reverse().Select(i => (long)i).ToArray()).contiguous();
        return tensor.MoveToOuterDisposeScope();
    }

    private static (ScalarType Type, int Size, bool Swap) ParseDescr(string descr, Func<string, WeightFileException> bad)
    {
        if (descr.Length < 2) throw bad($"has an unknown dtype '{descr}'.");
        var order = descr[0];
        var code = order is '<' or '>' or '|' or '=' ? descr[1..] : descr;
        var bigEndian = order == '>' || (order == '=' && !BitConverter.IsLittleEndian);
        var (type, size) = code switch
        {
            "f2" => (ScalarType.Float16, 2),
            "f4" => (ScalarType.Float32, 4),
            "f8" => (ScalarType.Float64, 8),
            "i1" => (ScalarType.Int8, 1),
            "i2" => (ScalarType.Int16, 2),
            "i4" => (ScalarType.Int32, 4),
            "i8" => (ScalarType.Int64, 8),
            "u1" => (ScalarType.Byte, 1),
            "b1" => (ScalarType.Bool, 1),
            "V2" => (ScalarType.BFloat16, 2),
            "u2" or "u4" or "u8" => throw bad($"has dtype '{descr}' (unsigned {code[1..]}-byte integers), which TorchSharp cannot hold; convert it in NumPy first (e.g. .astype(np.int64))."),
            _ when code.StartsWith('O') => throw bad($"holds Python objects (dtype '{descr}'); pickled arrays are never loaded. Save plain numeric arrays."),
            _ => throw bad($"has dtype '{descr}', which is not supported (f2 f4 f8 i1 i2 i4 i8 u1 b1, and V2 as bfloat16)."),
        };
        return (type, size, size > 1 && bigEndian == BitConverter.IsLittleEndian);
    }

    /// <summary>Parses the Python dict literal, e.g. <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (3, 4), }</c>.</summary>
    private static (string Descr, bool Fortran, long[] Shape) ParseHeader(string header, Func<string, WeightFileException> bad)
    {
        var p = new LiteralParser(header.TrimEnd('\n', ' ', '\0'), bad);
        var dict = p.ParseDict();
        p.End();
        string? descr = null;
        bool? fortran = null;
        long[]? shape = null;
        foreach (var (key, value) in dict)
        {
            switch (key)
            {
                case "descr":
                    descr = value as string ?? throw bad($"has an npy header whose 'descr' is not a string (structured dtypes are not supported): {header.Trim()}");
                    break;
                case "fortran_order":
                    fortran = value as bool? ?? throw bad($"has an npy header whose 'fortran_order' is not True or False: {header.Trim()}");
                    break;
                case "shape":
                    shape = value as long[] ?? throw bad($"has an npy header whose 'shape' is not a tuple of integers: {header.Trim()}");
                    break;
                default:
                    throw bad($"has an npy header with the unexpected key '{key}': {header.Trim()}");
            }
        }
        if (descr is null || fortran is null || shape is null)
            throw bad($"has an npy header without 'descr', 'fortran_order' or 'shape': {header.Trim()}");
        return (descr, fortran.Value, shape);
    }

    private sealed class LiteralParser(string text, Func<string, WeightFileException> bad)
    {
        private int at;

        private WeightFileException Error(string what) => bad($"has an npy header that is not a valid Python dict literal ({what} at character {at}): {text.Trim()}");

        private void Skip()
        {
            while (at < text.Length && char.IsWhiteSpace(text[at])) at++;
        }

        private bool Try(char c)
        {
            Skip();
            if (at < text.Length && text[at] == c)
            {
                at++;
                return true;
            }
            return false;
        }

        private void Expect(char c)
        {
            if (!Try(c)) throw Error($"expected '{c}'");
        }

        public void End()
        {
            Skip();
            if (at != text.Length) throw Error("unexpected text");
        }

        public List<(string Key, object Value)> ParseDict()
        {
            Expect('{');
            var items = new List<(string, object)>();
            var keys = new HashSet<string>(StringComparer.Ordinal);
            while (!Try('}'))
            {
                var key = ParseString();
                if (!keys.Add(key)) throw Error($"key '{key}' repeated");
                Expect(':');
                items.Add((key, ParseValue()));
                if (!Try(','))
                {
                    Expect('}');
                    break;
                }
            }
            return items;
        }

        private object ParseValue()
        {
            Skip();
            if (at >= text.Length) throw Error("unexpected end");
            var c = text[at];
            if (c is '\'' or '"') return ParseString();
            if (c == '(') return ParseTuple();
            if (text.AsSpan(at).StartsWith("True")) { at += 4; return true; }
            if (text.AsSpan(at).StartsWith("False")) { at += 5; return false; }
            throw Error("expected a string, a tuple, True or False");
        }

        private string ParseString()
        {
            Skip();
            if (at >= text.Length || text[at] is not ('\'' or '"')) throw Error("expected a quoted string");
            var quote = text[at++];
            var start = at;
            while (at < text.Length && text[at] != quote)
            {
                if (text[at] == '\\') throw Error("escapes in strings are not supported");
                at++;
            }
            if (at >= text.Length) throw Error("unterminated string");
            return text[start..at++];
        }

        private long[] ParseTuple()
        {
            Expect('(');
            var items = new List<long>();
            while (!Try(')'))
            {
                Skip();
                var start = at;
                while (at < text.Length && char.IsAsciiDigit(text[at])) at++;
                if (start == at) throw Error("expected a non-negative integer");
                if (at < text.Length && text[at] == 'L') at++; // Python 2 long suffix
                if (!long.TryParse(text.AsSpan(start, at - start).TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out var v))
                    throw Error("dimension too large");
                items.Add(v);
                if (!Try(','))
                {
                    Expect(')');
                    break;
                }
            }
            return items.ToArray();
        }
    }
}
