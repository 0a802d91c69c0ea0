using Google.Protobuf;
using MiniHaiku.Optim;
using MiniHaiku.Training;

namespace MiniHaiku.Tests.Training;

/// <summary>
/// The TensorBoard logger's event files, read back by an independent reader: TFRecord framing (length, masked
/// CRC-32C of the length, data, masked CRC-32C of the data) and the Event protobuf decoded field by field.
/// </summary>
public sealed class TensorBoardLoggerTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("minihaiku-tb-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private sealed record Histogram(double Min, double Max, double Num, double Sum, double SumSquares, double[] Limits, double[] Counts);

    private sealed record Value(string Tag, float? Simple, Histogram? Histo);

    private sealed record Event(double WallTime, long Step, string? FileVersion, List<Value> Values);

    [Fact]
    public void EventFilesHoldLossAccuracyLearningRateThroughputAndHistograms()
    {
        var data = FitCallbacksTests.Data(4);
        var trainer = FitCallbacksTests.NetTrainer();
        var p = FitCallbacksTests.Net.Init(0, data[0].X);
        var schedule = Schedule.CosineDecay(0.05, 40);
        var logger = new TensorBoardLogger(dir, schedule, histogramEvery: 3);
        var spy = new Spy();
        var result = trainer.Fit(trainer.Init(p, seed: 1), new FitOptions<(Tensor X, Tensor Y)>(2, e => FitCallbacksTests.Epoch(data, e))
        {
            Evaluate = (s, e) => new Dictionary<string, double> { ["accuracy"] = 0.25 * e },
            Callbacks = [spy, logger],
            ReportEvery = 2,
        });
        result.State.DisposeTensors();

        var files = Directory.GetFiles(dir, "events.out.tfevents.*");
        var events = ReadEvents(Assert.Single(files));
        Assert.Equal("brain.Event:2", events[0].FileVersion);
        var values = events.Skip(1).SelectMany(e => e.Values.Select(v => (e.Step, v))).ToList();
        float[] Scalars(string tag) => values.Where(x => x.v.Tag == tag).Select(x => x.v.Simple!.Value).ToArray();
        long[] Steps(string tag) => values.Where(x => x.v.Tag == tag).Select(x => x.Step).ToArray();

        Assert.Equal([2L, 4, 6, 8], Steps("train/loss"));
        Assert.Equal(spy.WindowMeans.Select(m => (float)m).ToArray(), Scalars("train/loss"));
        Assert.Equal(new long[] { 2, 4, 6, 8 }.Select(s => (float)schedule.ValueAt(s - 1)).ToArray(), Scalars("train/learning_rate"));
        Assert.All(Scalars("train/samples_per_second"), v => Assert.True(v > 0));
        Assert.Equal([4L, 8], Steps("eval/accuracy"));
        Assert.Equal([0.25f, 0.5f], Scalars("eval/accuracy"));

        foreach (var prefix in new[] { "params/", "gradients/" })
        {
            var histos = values.Where(x => x.v.Tag == prefix + "~/w").ToList();
            Assert.Equal([3L, 6], histos.Select(h => h.Step).ToArray());
            foreach (var (_, v) in histos)
            {
                var h = v.Histo!;
                Assert.Equal(24, h.Num); // w is 3 × 8
                Assert.Equal(24, h.Counts.Sum());
                Assert.True(h.Min <= h.Max);
                Assert.Equal(h.Limits.Length, h.Counts.Length);
            }
        }
        var paramHisto = values.Single(x => x.v.Tag == "params/~/w" && x.Step == 3).v.Histo!;
        Assert.Equal(spy.WSumAt3, paramHisto.Sum, 9);
        Assert.Equal(spy.WMinAt3, paramHisto.Min, 12);
    }

    private sealed class Spy : TrainingCallback
    {
        public List<double> WindowMeans { get; } = [];
        public double WSumAt3 { get; private set; }
        public double WMinAt3 { get; private set; }
        public override void OnReport(FitRun run, TrainProgress report) => WindowMeans.Add(report.MeanLoss);
        public override void OnStep(StepEnd step)
        {
            if (step.State.Step != 3) return;
            WSumAt3 = step.State.Params["~/w"].sum().item<double>();
            WMinAt3 = step.State.Params["~/w"].min().item<double>();
        }
    }

    private static List<Event> ReadEvents(string file)
    {
        var bytes = File.ReadAllBytes(file);
        var events = new List<Event>();
        var pos = 0;
        while (pos < bytes.Length)
        {
            Assert.True(bytes.Length - pos >= 12, "a record header is cut short");
            var length = BitConverter.ToUInt64(bytes, pos);
            Assert.Equal(MaskedCrc(bytes.AsSpan(pos, 8)), BitConverter.ToUInt32(bytes, pos + 8));
            var data = bytes.AsSpan(pos + 12, checked((int)length));
            Assert.Equal(MaskedCrc(data), BitConverter.ToUInt32(bytes, pos + 12 + (int)length));
            events.Add(ParseEvent(data.ToArray()));
            pos += 12 + (int)length + 4;
        }
        Assert.Equal(bytes.Length, pos);
        return events;
    }

    private static Event ParseEvent(byte[] data)
    {
        var input = new CodedInputStream(data);
        double wall = 0;
        long step = 0;
        string? version = null;
        var values = new List<Value>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: wall = input.ReadDouble(); break;
                case 2: step = input.ReadInt64(); break;
                case 3: version = input.ReadString(); break;
                case 5:
                    var summary = new CodedInputStream(input.ReadBytes().ToByteArray());
                    uint t;
                    while ((t = summary.ReadTag()) != 0)
                        if (WireFormat.GetTagFieldNumber(t) == 1) values.Add(ParseValue(summary.ReadBytes().ToByteArray()));
                        else summary.SkipLastField();
                    break;
                default: input.SkipLastField(); break;
            }
        }
        return new Event(wall, step, version, values);
    }

    private static Value ParseValue(byte[] data)
    {
        var input = new CodedInputStream(data);
        string name = "";
        float? simple = null;
        Histogram? histo = null;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: name = input.ReadString(); break;
                case 2: simple = input.ReadFloat(); break;
                case 5: histo = ParseHistogram(input.ReadBytes().ToByteArray()); break;
                default: input.SkipLastField(); break;
            }
        }
        return new Value(name, simple, histo);
    }

    private static Histogram ParseHistogram(byte[] data)
    {
        var input = new CodedInputStream(data);
        var d = new double[5];
        List<double> limits = [], counts = [];
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            var field = WireFormat.GetTagFieldNumber(tag);
            if (field is >= 1 and <= 5) d[field - 1] = input.ReadDouble();
            else if (field is 6 or 7)
            {
                var target = field == 6 ? limits : counts;
                if (WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
                {
                    var packed = input.ReadBytes().ToByteArray();
                    for (var i = 0; i < packed.Length; i += 8) target.Add(BitConverter.ToDouble(packed, i));
                }
                else target.Add(input.ReadDouble());
            }
            else input.SkipLastField();
        }
        return new Histogram(d[0], d[1], d[2], d[3], d[4], limits.ToArray(), counts.ToArray());
    }

    /// <summary>TFRecord's masked CRC-32C (Castagnoli, reflected polynomial 0x82F63B78).</summary>
    private static uint MaskedCrc(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        }
        crc = ~crc;
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
    }

    [Fact]
    public void TheCrcMatchesTheKnownCheckValue()
    {
        // CRC-32C("123456789") = 0xE3069283; unmasked by undoing the rotation and the constant.
        var masked = MaskedCrc("123456789"u8);
        var crc = masked - 0xa282ead8u;
        Assert.Equal(0xE3069283u, (crc << 15) | (crc >> 17));
    }
}
