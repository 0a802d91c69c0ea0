using System.Runtime.InteropServices;
using MiniHaiku.Internal;

namespace MiniHaiku.Tests.Internal;

/// <summary>
/// The managed truncated-normal sampler: its inverse CDF against a double-precision erfinv (libtorch's), the cut at ±2
/// at the extreme words, tails shorter than a vector, prefixes of longer fills, and the scaling by stddev and mean.
/// </summary>
public class TruncatedNormalSamplerTests
{
    /// <summary>Random int32 words plus the extremes (±2³¹, ±1, 0) and words near them.</summary>
    private static int[] Words(int count, int seed)
    {
        var random = new Random(seed);
        var words = new int[count];
        for (var i = 0; i < count; i++) words[i] = random.Next(int.MinValue, int.MaxValue);
        int[] extremes = [int.MinValue, int.MinValue + 1, int.MinValue + 200, int.MaxValue, int.MaxValue - 1, int.MaxValue - 300, 0, 1, -1, 1 << 30, -(1 << 30)];
        extremes.CopyTo(words, 0);
        return words;
    }

    /// <summary>√2·erfinv(x) in double precision (libtorch's erfinv), the exact inverse CDF of the truncated normal.</summary>
    private static double[] ExactZ(double[] x)
    {
        using var t = torch.tensor(x, ScalarType.Float64);
        using var erfinv = torch.special.erfinv(t);
        return erfinv.data<double>().Select(e => Math.Sqrt(2) * e).ToArray();
    }

    [Fact]
    public void Float32ValuesAreTheInverseCdfWithinAMillionth()
    {
        var words = Words(1 << 18, 1);
        var values = MemoryMarshal.Cast<int, float>(words.AsSpan()).ToArray();
        TruncatedNormalSampler.Transform(values, 1f, 0f);
        // The uniform the sampler used: the word rounded to float, times erf(√2)/2³¹ (rounded to float), in float.
        var scale = (float)(TruncatedNormalSampler.ErfSqrt2 / 2147483648.0);
        var x = words.Select(w => (double)((float)w * scale)).ToArray();
        var exact = ExactZ(x);
        var worst = Enumerable.Range(0, words.Length).Max(i => Math.Abs(values[i] - Math.Clamp(exact[i], -2, 2)));
        Assert.True(worst <= 1e-6, $"max |error| {worst}");
        Assert.True(values.All(v => Math.Abs(v) <= 2f));
        Assert.True(values[0] >= -2f && values[0] < -1.99999f && values[3] > 1.99999f, $"the extreme words reach ±2: {values[0]}, {values[3]}");
        Assert.Equal(0f, values[6]);
    }

    [Fact]
    public void Float64ValuesAreTheInverseCdfToDoublePrecision()
    {
        var random = new Random(2);
        var words = new long[1 << 16];
        for (var i = 0; i < words.Length; i++) words[i] = random.NextInt64(long.MinValue, long.MaxValue);
        words[0] = long.MinValue;
        words[1] = long.MaxValue;
        words[2] = 0;
        var values = MemoryMarshal.Cast<long, double>(words.AsSpan()).ToArray();
        TruncatedNormalSampler.Transform(values, 1.0, 0.0);
        var x = words.Select(w => (double)w * (TruncatedNormalSampler.ErfSqrt2 / 9223372036854775808.0)).ToArray();
        var exact = ExactZ(x);
        var worst = Enumerable.Range(0, words.Length).Max(i => Math.Abs(values[i] - Math.Clamp(exact[i], -2, 2)));
        Assert.True(worst <= 1e-13, $"max |error| {worst}");
        Assert.True(values.All(v => Math.Abs(v) <= 2.0));
        Assert.True(values[0] < -1.9999999 && values[1] > 1.9999999, $"the extreme words reach ±2: {values[0]}, {values[1]}");
        Assert.Equal(0.0, values[2]);
    }

    [Fact]
    public void ATailShorterThanAVectorIsComputedLikeTheRest()
    {
        var words = Words(64, 3);
        var all = MemoryMarshal.Cast<int, float>(words.AsSpan()).ToArray();
        TruncatedNormalSampler.Transform(all, 0.5f, 1f);
        for (var n = 0; n <= 40; n++)
        {
            var part = MemoryMarshal.Cast<int, float>(words.AsSpan(0, n)).ToArray();
            TruncatedNormalSampler.Transform(part, 0.5f, 1f);
            Assert.Equal(all[..n], part);
        }
    }

    [Fact]
    public void TheAvx512PathGivesTheSameBitsAsThePortableOne()
    {
        // Values must not depend on the machine's vector width. (Without AVX-512 both calls take the portable path.)
        var words = Words(10_003, 4);
        var wide = MemoryMarshal.Cast<int, float>(words.AsSpan()).ToArray();
        var portable = wide.ToArray();
        TruncatedNormalSampler.Transform(wide, 0.7f, 0.1f, allowVector512: true);
        TruncatedNormalSampler.Transform(portable, 0.7f, 0.1f, allowVector512: false);
        Assert.Equal(MemoryMarshal.Cast<float, int>(portable.AsSpan()).ToArray(), MemoryMarshal.Cast<float, int>(wide.AsSpan()).ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(17)]
    [InlineData(4095)]
    [InlineData(4097)]
    [InlineData(10_001)]
    public void AFillIsThePrefixOfALongerFillFromTheSameSeed(int n)
    {
        var longer = new float[12_345];
        TruncatedNormalSampler.Fill(longer, 1f, 0f, 77);
        var shorter = new float[n];
        TruncatedNormalSampler.Fill(shorter, 1f, 0f, 77);
        Assert.Equal(longer[..n], shorter);
        var doubles = new double[12_345];
        TruncatedNormalSampler.Fill(doubles, 1.0, 0.0, 77);
        var fewer = new double[n];
        TruncatedNormalSampler.Fill(fewer, 1.0, 0.0, 77);
        Assert.Equal(doubles[..n], fewer);
    }

    [Fact]
    public void StddevAndMeanScaleTheUnitDraw()
    {
        float[] unit = new float[1000], scaled = new float[1000];
        TruncatedNormalSampler.Fill(unit, 1f, 0f, 5);
        TruncatedNormalSampler.Fill(scaled, 0.02f, -3f, 5);
        for (var i = 0; i < unit.Length; i++) Assert.Equal(-3f + 0.02f * unit[i], scaled[i], 1e-6f);
        double[] unit64 = new double[1000], scaled64 = new double[1000];
        TruncatedNormalSampler.Fill(unit64, 1.0, 0.0, 5);
        TruncatedNormalSampler.Fill(scaled64, -2.5, 4.0, 5);
        for (var i = 0; i < unit64.Length; i++) Assert.Equal(4.0 - 2.5 * unit64[i], scaled64[i], 1e-12);
    }
}
