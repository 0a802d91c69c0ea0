using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
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
        var digest = Convert.ToHexStringLower(SHA256.HashData(bytes.AsSpan(8 + n)));
        Assert.Equal("{\"__metadata__\":{\"data_sha256\":\"" + digest + "\",\"note\":\"hi\"},\"params/~/w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", header);
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
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"shape\":[1,2]}}", "entry 'w' names 'shape' twice")]
    [InlineData("{\"w\":{\"dtype\":\"I64\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "entry 'w' names 'dtype' twice")]
    [InlineData("{\"__metadata__\":{\"step\":\"1\",\"step\":\"2\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "metadata names 'step' twice")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"e\":{\"dtype\":\"F32\",\"shape\":[0,4294967296,4294967296],\"data_offsets\":[8,8]}}", "element count overflows")]
    [InlineData("{\"__metadata__\":{\"data_sha256\":\"abc\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "must be 64 hex digits")]
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

    private static int DataStart(byte[] file) => 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(file);

    [Fact]
    public void AFlippedDataBitIsACheckpointException()
    {
        Checkpoint.Save(File("d.safetensors"), Sample());
        var bytes = System.IO.File.ReadAllBytes(File("d.safetensors"));
        Assert.Matches("^[0-9a-f]{64}$", Checkpoint.Load(File("d.safetensors")).Metadata[Checkpoint.DigestMetadataKey]);
        bytes[DataStart(bytes) + 5] ^= 0x10;
        System.IO.File.WriteAllBytes(File("d.safetensors"), bytes);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(File("d.safetensors")));
        Assert.Contains("does not match the SHA-256 digest", e.Message);
        Assert.Contains("d.safetensors", e.Message);
    }

    [Fact]
    public void AFileWithoutADigestStillLoads()
    {
        var p = Params.Create([new("~/w", torch.tensor(new[] { 1.0f, 2.0f }))]);
        Checkpoint.Save(File("n.safetensors"), p, writeDigest: false);
        var c = Checkpoint.Load(File("n.safetensors"));
        Assert.False(c.Metadata.ContainsKey(Checkpoint.DigestMetadataKey));
        Assert.True(c.Params.BitwiseEquals(p));
    }

    [Fact]
    public void TheDigestMetadataKeyIsReserved()
    {
        var p = Params.Create([new("~/w", torch.zeros(2))]);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Save(File("r.safetensors"), p, metadata: new Dictionary<string, string> { ["data_sha256"] = "x" }));
        Assert.Contains("reserved", e.Message);
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Fact]
    public void AFailedSaveLeavesNoTempFile()
    {
        // The target is a folder: the final rename fails after the data was written.
        Directory.CreateDirectory(File("taken.safetensors"));
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Save(File("taken.safetensors"), Sample()));
        Assert.Contains("could not be written", e.Message);
        Assert.Empty(Directory.GetFiles(dir, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void TheNextSaveRemovesStaleTempFilesOfTheSameTargetOnly()
    {
        // What a killed save leaves: a hidden temp file named after its target.
        string Temp(string target) => File("." + target + "." + Guid.NewGuid().ToString("N") + ".tmp");
        var stale = Temp("x.safetensors");
        System.IO.File.WriteAllBytes(stale, new byte[100]);
        var otherTarget = Temp("y.safetensors");
        System.IO.File.WriteAllBytes(otherTarget, new byte[10]);
        var inProgress = Temp("x.safetensors");
        using (var writer = new FileStream(inProgress, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            Checkpoint.Save(File("x.safetensors"), Sample());
            Assert.True(System.IO.File.Exists(inProgress), "a temp file another save is writing must be left alone");
        }
        Assert.False(System.IO.File.Exists(stale));
        Assert.True(System.IO.File.Exists(otherTarget));
        Checkpoint.Save(File("x.safetensors"), Sample());
        Assert.Equal([Path.GetFileName(otherTarget), "x.safetensors"], Directory.GetFiles(dir).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public async Task AFifoIsACheckpointExceptionAndDoesNotBlock()
    {
        if (!OperatingSystem.IsLinux()) return;
        var fifo = File("pipe.safetensors");
        using (var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [fifo]) { UseShellExecute = false })!)
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }
        var load = Task.Run(() => Checkpoint.Load(fifo));
        var finished = await Task.WhenAny(load, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.True(finished == load, "Load blocked on a FIFO");
        var e = Assert.IsType<CheckpointException>(load.Exception!.InnerException);
        Assert.Contains("not a regular file", e.Message);
    }

    [Fact]
    public void AFolderIsACheckpointException()
    {
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(dir));
        Assert.Contains("is a folder", e.Message);
    }

    [Fact]
    public void LoadWithParamsChecksTheOptimizerStateEntries()
    {
        var p = Params.Create([new("~/w", torch.zeros(3)), new("~/b", torch.zeros(1))]);
        var adam = Optimizers.Chain(Optimizers.ClipByGlobalNorm(1), Optimizers.Adam(0.1));
        Checkpoint.Save(File("ok.safetensors"), p, optState: adam.Init(p));
        Assert.Equal(4, Checkpoint.Load(File("ok.safetensors"), p).OptState.Keys.Count(k => k.Contains("/~/", StringComparison.Ordinal)));

        // Optimizer state of a model whose '~/w' has another shape, and that has a '~/v'.
        var other = Params.Create([new("~/w", torch.zeros(4)), new("~/b", torch.zeros(1)), new("~/v", torch.zeros(2))]);
        Checkpoint.Save(File("bad.safetensors"), p, optState: adam.Init(other));
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(File("bad.safetensors"), p));
        Assert.Contains("optimizer state does not fit", e.Message);
        Assert.Contains("'1/0/nu/~/v' is a slot of '~/v', which the model does not have", e.Message);

        // A count that is not an int64 scalar.
        var header = "{\"params/~/w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}," +
                     "\"params/~/b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}," +
                     "\"opt_state/count\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[16,20]}}";
        System.IO.File.WriteAllBytes(File("count.safetensors"), HandWritten(header, new byte[20]));
        e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(File("count.safetensors"), p));
        Assert.Contains("'count' is Float32", e.Message);
        Assert.Contains("a count is an Int64 scalar", e.Message);
        Assert.Single(Checkpoint.Load(File("count.safetensors")).OptState);
    }

    [Fact]
    public void SkippedStepsOfATrainStateRoundTrip()
    {
        var trainer = Trainer.Create<int>((q, b, _) => b == 2 ? q["~/w"].sum() * double.NaN : q["~/w"].square().sum(), Optimizers.Sgd(0.1)).SkipNonFiniteSteps();
        var p = Params.Create([new("~/w", torch.randn(4))]);
        var ts = trainer.Fit(trainer.Init(p, seed: 2), [1, 2, 3]);
        Assert.Equal(1, ts.SkippedSteps);
        Checkpoint.Save(File("ts.safetensors"), ts);
        var back = Checkpoint.LoadTrainState(File("ts.safetensors"), trainer.Init(p, seed: 0));
        Assert.Equal(3, back.Step);
        Assert.Equal(1, back.SkippedSteps);
    }

    [Fact]
    public void LoadingLeavesNoTensorBehindOnSuccessOrFailure()
    {
        var trainer = Trainer.Create<int>((q, _, _) => q["~/w"].square().sum(), Optimizers.Chain(Optimizers.ClipByGlobalNorm(1), Optimizers.Adam(0.1)));
        var p = Params.Create([new("~/w", torch.randn(4))]);
        var template = trainer.Init(p, seed: 0);
        Checkpoint.Save(File("ts.safetensors"), template);
        var other = Params.Create([new("~/w", torch.randn(5))]);
        var stats = DisposeScopeManager.Statistics.TensorStatistics;
        var before = stats.ThreadTotalLiveCount;
        var back = Checkpoint.LoadTrainState(File("ts.safetensors"), template);
        Assert.Equal(before + back.Tensors().Distinct(ReferenceEqualityComparer.Instance).Count(), stats.ThreadTotalLiveCount);
        back.DisposeTensors();
        Assert.Equal(before, stats.ThreadTotalLiveCount);
        // A file of another model, of another optimizer, and without a TrainState's metadata.
        Assert.Throws<CheckpointException>(() => Checkpoint.Load(File("ts.safetensors"), other));
        Assert.Equal(before, stats.ThreadTotalLiveCount);
        var sgdTemplate = template with { OptState = Optimizers.Sgd(0.1, momentum: 0.9).Init(p) };
        before = stats.ThreadTotalLiveCount;
        Assert.Throws<CheckpointException>(() => Checkpoint.LoadTrainState(File("ts.safetensors"), sgdTemplate));
        Assert.Equal(before, stats.ThreadTotalLiveCount);
        Checkpoint.Save(File("params.safetensors"), p);
        Assert.Throws<CheckpointException>(() => Checkpoint.LoadTrainState(File("params.safetensors"), template));
        Assert.Equal(before, stats.ThreadTotalLiveCount);
    }
}
