using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MiniHaiku.Checkpoints;

namespace MiniHaiku.Tests.Properties;

public class CheckpointProperties
{
    private static readonly ScalarType[] DTypes =
        [ScalarType.Float32, ScalarType.Float64, ScalarType.Int64, ScalarType.Int32, ScalarType.Float16, ScalarType.BFloat16, ScalarType.Int8, ScalarType.Byte, ScalarType.Bool, ScalarType.Int16];

    private static Tensor RandomTensor(torch.Generator g, ScalarType dtype, long[] shape, bool specials)
    {
        Tensor t = dtype switch
        {
            ScalarType.Bool => torch.rand(shape, generator: g) > 0.5,
            ScalarType.Int64 => torch.randint(long.MinValue / 2, long.MaxValue / 2, shape, dtype: ScalarType.Int64, generator: g),
            ScalarType.Int32 or ScalarType.Int16 or ScalarType.Int8 or ScalarType.Byte => torch.randint(-100, 100, shape, generator: g).to_type(dtype),
            _ => (torch.randn(shape, ScalarType.Float64, generator: g) * 1e3).to_type(dtype),
        };
        if (specials && t.is_floating_point() && t.numel() >= 3)
        {
            var flat = t.view(-1);
            flat[0] = double.NaN;
            flat[1] = -0.0;
            flat[2] = double.NegativeInfinity;
        }
        return t;
    }

    private static bool SameBytes(Tensor a, Tensor b) =>
        a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.contiguous().bytes.SequenceEqual(b.contiguous().bytes);

    /// <summary>Load(Save(p)) == p bitwise (bytes, dtype, shape) for random maps over every supported dtype, NaN and -0.0 included.</summary>
    [Property(MaxTest = 40)]
    public bool SaveThenLoadIsBitwiseIdentity(PositiveInt seed, byte count, bool specials)
    {
        using var g = new torch.Generator((ulong)seed.Get);
        var n = count % 6;
        var entries = new List<KeyValuePair<string, Tensor>>();
        for (var i = 0; i < n; i++)
        {
            var dtype = DTypes[(seed.Get + i * 7) % DTypes.Length];
            var rank = (seed.Get + i) % 4;
            var shape = Enumerable.Range(0, rank).Select(d => (long)((seed.Get * (d + 3) + i) % 5)).ToArray();
            entries.Add(new($"~/m{i}/p_{dtype}", RandomTensor(g, dtype, shape, specials)));
        }
        var p = Params.Create(entries);
        var path = Path.Combine(Path.GetTempPath(), $"minihaiku-prop-{Guid.NewGuid():N}.safetensors");
        try
        {
            Checkpoint.Save(path, p);
            var back = Checkpoint.Load(path).Params;
            return back.Count == p.Count && p.All(kv => back.TryGetValue(kv.Key, out var b) && SameBytes(kv.Value, b));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Every strict prefix of a checkpoint file is rejected with a CheckpointException (never a crash, never a silent partial load).</summary>
    [Property(MaxTest = 60)]
    public bool EveryTruncationIsACheckpointException(NonNegativeInt cutSeed)
    {
        var p = Params.Create([
            new("~/a", torch.arange(10, dtype: ScalarType.Float32)),
            new("~/b", torch.arange(3, dtype: ScalarType.Int64)),
        ]);
        var dir = Directory.CreateTempSubdirectory("minihaiku-trunc-").FullName;
        try
        {
            var path = Path.Combine(dir, "c.safetensors");
            Checkpoint.Save(path, p);
            var bytes = File.ReadAllBytes(path);
            var cut = cutSeed.Get % bytes.Length;
            File.WriteAllBytes(path, bytes[..cut]);
            try
            {
                Checkpoint.Load(path);
                return false;
            }
            catch (CheckpointException e)
            {
                return e.Path == path;
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>Flipping any one bit of the data section makes Load fail with a CheckpointException (the stored SHA-256 digest).</summary>
    [Property(MaxTest = 60)]
    public bool AnyFlippedDataBitIsACheckpointException(NonNegativeInt bitSeed, PositiveInt seed)
    {
        using var g = new torch.Generator((ulong)seed.Get);
        var p = Params.Create([
            new("~/a", RandomTensor(g, ScalarType.Float32, [3, 5], specials: true)),
            new("~/b", RandomTensor(g, ScalarType.Int64, [4], specials: false)),
            new("~/c", RandomTensor(g, ScalarType.Bool, [7], specials: false)),
        ]);
        var dir = Directory.CreateTempSubdirectory("minihaiku-flip-").FullName;
        try
        {
            var path = Path.Combine(dir, "c.safetensors");
            Checkpoint.Save(path, p);
            var bytes = File.ReadAllBytes(path);
            var dataStart = 8 + (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            var bit = bitSeed.Get % ((bytes.Length - dataStart) * 8);
            bytes[dataStart + bit / 8] ^= (byte)(1 << (bit % 8));
            File.WriteAllBytes(path, bytes);
            try
            {
                Checkpoint.Load(path);
                return false;
            }
            catch (CheckpointException e)
            {
                return e.Path == path && e.Message.Contains("SHA-256", StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>
    /// Repeating any field of an entry, or any metadata key — even with the same value — is a CheckpointException:
    /// JSON parsers disagree on which duplicate wins, so such a header is ambiguous.
    /// </summary>
    [Property(MaxTest = 40)]
    public bool ARepeatedHeaderKeyIsACheckpointException(NonNegativeInt which)
    {
        string[] fields = ["\"dtype\":\"F32\"", "\"shape\":[2]", "\"data_offsets\":[0,8]"];
        string[] meta = ["\"a\":\"1\"", "\"b\":\"2\""];
        var choice = which.Get % (fields.Length + meta.Length);
        var entryFields = choice < fields.Length ? [.. fields, fields[choice]] : fields;
        var metaFields = choice >= fields.Length ? [.. meta, meta[choice - fields.Length]] : meta;
        var header = "{\"__metadata__\":{" + string.Join(",", metaFields) + "},\"w\":{" + string.Join(",", entryFields) + "}}";
        var h = System.Text.Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + 8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        var path = Path.Combine(Path.GetTempPath(), $"minihaiku-dup-{Guid.NewGuid():N}.safetensors");
        try
        {
            File.WriteAllBytes(path, bytes);
            try
            {
                Checkpoint.Load(path);
                return false;
            }
            catch (CheckpointException e)
            {
                return e.Message.Contains("twice", StringComparison.Ordinal);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }
}
