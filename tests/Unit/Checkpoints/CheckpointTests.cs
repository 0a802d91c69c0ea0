using System.Buffers.Binary;
using System.Text;
using MiniHaiku.Checkpoints;
using MiniHaiku.Optim;
using MiniHaiku.Training;

namespace MiniHaiku.Tests.Checkpoints;

public sealed class CheckpointTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("minihaiku-ckpt-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string File(string name) => Path.Combine(dir, name);

    private static bool SameBytes(Tensor a, Tensor b) =>
        a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.contiguous().bytes.SequenceEqual(b.contiguous().bytes);

    private static Params Sample() => Params.Create([
        new("~/mlp/w", torch.arange(12, dtype: float32).reshape(3, 4) / 7),
        new("~/mlp/b", torch.tensor(new[] { double.NaN, -0.0, double.PositiveInfinity })),
        new("~/emb/ids", torch.tensor(new long[] { -5, 0, long.MaxValue })),
        new("~/flags", torch.tensor(new[] { true, false })),
        new("~/scalar", torch.tensor(2.5f)),
        new("~/empty", torch.zeros([0, 3])),
    ]);

    /// <summary>A safetensors file written by hand from the format specification, not with our writer.</summary>
    private static byte[] HandWritten(string header, byte[] data)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        return bytes;
    }

    [Fact]
    public void LoadsAFileWrittenByteByByteFromTheSpec()
    {
        var data = new List<byte>();
        foreach (var f in new[] { 1.5f, -2.0f, 0.25f, 8.0f }) data.AddRange(BitConverter.GetBytes(f)); // "w": F32 (2, 2), bytes 0..16
        foreach (var l in new[] { 7L, -9L }) data.AddRange(BitConverter.GetBytes(l)); // "ids": I64 (2,), bytes 16..32
        data.Add(1); // "mask": BOOL (1,), bytes 32..33
        var header = "{\"__metadata__\":{\"format\":\"pt\"}," +
                     "\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}," +
                     "\"ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[16,32]}," +
                     "\"mask\":{\"dtype\":\"BOOL\",\"shape\":[1],\"data_offsets\":[32,33]}}";
        System.IO.File.WriteAllBytes(File("spec.safetensors"), HandWritten(header, data.ToArray()));

        var c = Checkpoint.Load(File("spec.safetensors"));
        Assert.Equal("pt", c.Metadata["format"]);
        Assert.Equal(["ids", "mask", "w"], c.Params.Keys.ToArray());
        Assert.True(c.Params["w"].Equals(torch.tensor(new[] { 1.5f, -2.0f, 0.25f, 8.0f }).reshape(2, 2)));
        Assert.True(c.Params["ids"].Equals(torch.tensor(new[] { 7L, -9L })));
        Assert.True(c.Params["mask"].Equals(torch.tensor(new[] { true })));
    }

    [Fact]
    public void WrittenFileFollowsTheSpecLayout()
    {
        var p = Params.Create([new("~/w", torch.tensor(new[] { 1.0f, 2.0f }))]);
        Checkpoint.Save(File("a.safetensors"), p, metadata: new Dictionary<string, string> { ["note"] = "hi" });
        var bytes = System.IO.File.ReadAllBytes(File("a.safetensors"));
        var n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + n) % 8);
        var header = Encoding.UTF8.GetString(bytes, 8, n).TrimEnd(' ');
        Assert.Equal("{\"__metadata__\":{\"note\":\"hi\"},\"params/~/w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", header);
        Assert.Equal(1.0f, BitConverter.ToSingle(bytes, 8 + n));
        Assert.Equal(2.0f, BitConverter.ToSingle(bytes, 8 + n + 4));
        Assert.Equal(8 + n + 8, bytes.Length);
    }

    [Fact]
    public void RoundTripsParamsStateOptStateAndMetadata()
    {
        var p = Sample();
        var floats = Params.Create([new("~/w", torch.randn(3, 2)), new("~/b", torch.randn(2))]);
        var opt = Optimizers.Adam(0.1);
        var s = opt.Update(floats, opt.Init(floats), floats).State;
        var state = Params.Create([new("~/bn/mean", torch.ones(3, dtype: float64))]);
        Checkpoint.Save(File("full.safetensors"), p, state, s, new Dictionary<string, string> { ["epoch"] = "3" });
        var c = Checkpoint.Load(File("full.safetensors"));
        Assert.Equal(p.Keys, c.Params.Keys);
        Assert.All(p, kv => Assert.True(SameBytes(kv.Value, c.Params[kv.Key]), kv.Key));
        Assert.True(c.State.BitwiseEquals(state));
        Assert.Equal("3", c.Metadata["epoch"]);
        var restored = c.RestoreOptState(opt.Init(floats));
        Assert.True(restored.ToParams().BitwiseEquals(s.ToParams()));
        Assert.Equal(1, restored.Inner[0].Count);
    }

    [Fact]
    public void TrainStateRoundTrips()
    {
        var trainer = Trainer.Create<int>((q, _, _) => q["~/w"].square().sum(), Optimizers.Sgd(0.1, momentum: 0.9));
        var p = Params.Create([new("~/w", torch.randn(4))]);
        var ts = trainer.Fit(trainer.Init(p, seed: 2), [1, 2, 3]);
        Checkpoint.Save(File("ts.safetensors"), ts);
        var back = Checkpoint.LoadTrainState(File("ts.safetensors"), trainer.Init(p, seed: 0));
        Assert.Equal(3, back.Step);
        Assert.Equal(ts.Rng, back.Rng);
        Assert.True(back.Params.BitwiseEquals(ts.Params));
        Assert.True(back.OptState.ToParams().BitwiseEquals(ts.OptState.ToParams()));
    }

    [Fact]
    public void OverwritingALargerFileLeavesNoStaleBytesOrTempFiles()
    {
        Checkpoint.Save(File("x.safetensors"), Params.Create([new("~/big", torch.randn(1000))]));
        var small = Params.Create([new("~/small", torch.randn(3))]);
        Checkpoint.Save(File("x.safetensors"), small);
        Assert.True(Checkpoint.Load(File("x.safetensors")).Params.BitwiseEquals(small));
        Assert.Equal(["x.safetensors"], Directory.GetFiles(dir).Select(f => Path.GetFileName(f)!).ToArray());
    }

    [Fact]
    public void MissingFileIsACheckpointException()
    {
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(File("nope.safetensors")));
        Assert.Contains("nope.safetensors", e.Message);
    }

    [Fact]
    public void TruncatedFilesAreCheckpointExceptions()
    {
        Checkpoint.Save(File("t.safetensors"), Sample());
        var bytes = System.IO.File.ReadAllBytes(File("t.safetensors"));
        foreach (var cut in new[] { 0, 3, 8, 20, bytes.Length / 2, bytes.Length - 1 })
        {
            System.IO.File.WriteAllBytes(File("cut.safetensors"), bytes[..cut]);
            var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(File("cut.safetensors")));
            Assert.Contains("cut.safetensors", e.Message);
        }
    }

    [Theory]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", "not valid")] // bad JSON
    [InlineData("[1,2,3]", "not a JSON object")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", "needs 12 bytes")] // shape lies
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", "claims bytes 0..16")] // offsets past the end
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "describes 4 bytes")] // trailing data
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"v\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "overlaps")]
    [InlineData("{\"w\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]}}", "'Q7'")] // unknown dtype
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", "non-negative")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", "exactly 2")]
    [InlineData("{\"w\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", "impossible shape")]
    [InlineData("{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", "no string 'dtype'")]
    public void LyingOrCorruptHeadersAreCheckpointExceptions(string header, string expected)
    {
        System.IO.File.WriteAllBytes(File("bad.safetensors"), HandWritten(header, new byte[8]));
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(File("bad.safetensors")));
        Assert.Contains(expected, e.Message);
        Assert.Contains("bad.safetensors", e.Message);
    }

    [Fact]
    public void HeaderLengthBeyondTheFileIsACheckpointException()
    {
        var bytes = HandWritten("{}", []);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue);
        System.IO.File.WriteAllBytes(File("huge.safetensors"), bytes);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(File("huge.safetensors")));
        Assert.Contains("header claims", e.Message);
    }

    [Fact]
    public void AFileFromADifferentModelIsACheckpointException()
    {
        var mine = Params.Create([new("~/lin/w", torch.zeros(3, 4)), new("~/lin/b", torch.zeros(4))]);
        Checkpoint.Save(File("other.safetensors"), Params.Create([new("~/lin/w", torch.zeros(5, 4)), new("~/conv/k", torch.zeros(2))]));
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(File("other.safetensors"), mine));
        Assert.Contains("different model", e.Message);
        Assert.Contains("'~/lin/b'", e.Message);
        Assert.Contains("'~/conv/k'", e.Message);
        Assert.Contains("(5, 4)", e.Message);
        Checkpoint.Save(File("same.safetensors"), mine);
        Assert.True(Checkpoint.Load(File("same.safetensors"), mine).Params.BitwiseEquals(mine));
    }

    [Fact]
    public void OptStateOfAnotherOptimizerIsACheckpointException()
    {
        var p = Params.Create([new("~/w", torch.zeros(2))]);
        var sgd = Optimizers.Sgd(0.1, momentum: 0.9);
        Checkpoint.Save(File("o.safetensors"), p, optState: sgd.Init(p));
        var c = Checkpoint.Load(File("o.safetensors"));
        Assert.Throws<CheckpointException>(() => c.RestoreOptState(Optimizers.Adam(0.1).Init(p)));
        Checkpoint.Save(File("none.safetensors"), p);
        Assert.Throws<CheckpointException>(() => Checkpoint.Load(File("none.safetensors")).RestoreOptState(sgd.Init(p)));
    }

    [Fact]
    public void UnsupportedDtypeOnSaveIsACheckpointExceptionAndWritesNothing()
    {
        var p = Params.Create([new("~/c", torch.zeros(2, dtype: ScalarType.ComplexFloat32))]);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Save(File("c.safetensors"), p));
        Assert.Contains("'params/~/c'", e.Message);
        Assert.Empty(Directory.GetFiles(dir));
    }
}
