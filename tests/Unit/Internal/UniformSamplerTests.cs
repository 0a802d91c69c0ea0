using System.Runtime.InteropServices;
using MiniHaiku.Internal;

namespace MiniHaiku.Tests.Internal;

/// <summary>
/// The managed uniform sampler: the ends of its range, never reaching max even where rounding would, tails computed
/// like the rest, prefixes of longer fills, and a uniform empirical CDF.
/// </summary>
public class UniformSamplerTests
{
    [Fact]
    public void TheSmallestWordGivesMinAndTheLargestStaysBelowMax()
    {
        uint[] words = [0, uint.MaxValue, 1u << 31];
        var values = MemoryMarshal.Cast<uint, float>(words.AsSpan()).ToArray();
        UniformSampler.Transform(values, -2f, 5f);
        Assert.Equal(-2f, values[0]);
        Assert.True(values[1] < 5f && values[1] > 4.9999f, $"{values[1]}");
        Assert.Equal(1.5f, values[2]);
        ulong[] pairs = [0, ulong.MaxValue, 1UL << 63];
        var doubles = MemoryMarshal.Cast<ulong, double>(pairs.AsSpan()).ToArray();
        UniformSampler.Transform(doubles, -2.0, 5.0);
        Assert.Equal(-2.0, doubles[0]);
        Assert.True(doubles[1] < 5.0 && doubles[1] > 4.9999999999, $"{doubles[1]}");
        Assert.Equal(1.5, doubles[2]);
    }

    [Fact]
    public void RoundingNeverReachesMax()
    {
        // Floats are 1 apart at 1e7: min + (max − min)·u rounds to max for u near 1, and must be lowered below it.
        var values = new float[100_000];
        UniformSampler.Fill(values, 1e7f, 1e7f + 1, 3);
        Assert.All(values, v => Assert.Equal(1e7f, v));
        var doubles = new double[100_000];
        UniformSampler.Fill(doubles, 1e16, 1e16 + 2, 3);
        Assert.All(doubles, v => Assert.Equal(1e16, v));
    }

    [Fact]
    public void ATailShorterThanAVectorIsComputedLikeTheRest()
    {
        var random = new Random(5);
        var words = new uint[64];
        for (var i = 0; i < words.Length; i++) words[i] = (uint)random.NextInt64(0, 1L << 32);
        var all = MemoryMarshal.Cast<uint, float>(words.AsSpan()).ToArray();
        UniformSampler.Transform(all, -0.3f, 0.7f);
        var allDoubles = MemoryMarshal.Cast<uint, double>(words.AsSpan()).ToArray();
        UniformSampler.Transform(allDoubles, -0.3, 0.7);
        for (var n = 0; n <= 32; n++)
        {
            var part = MemoryMarshal.Cast<uint, float>(words.AsSpan(0, n)).ToArray();
            UniformSampler.Transform(part, -0.3f, 0.7f);
            Assert.Equal(all[..n], part);
            var partDoubles = MemoryMarshal.Cast<uint, double>(words.AsSpan(0, 2 * (n / 2))).ToArray();
            UniformSampler.Transform(partDoubles, -0.3, 0.7);
            Assert.Equal(allDoubles[..(n / 2)], partDoubles);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(4097)]
    [InlineData(10_001)]
    public void AFillIsThePrefixOfALongerFillFromTheSameSeed(int n)
    {
        var longer = new float[12_345];
        UniformSampler.Fill(longer, 0f, 1f, 8);
        var shorter = new float[n];
        UniformSampler.Fill(shorter, 0f, 1f, 8);
        Assert.Equal(longer[..n], shorter);
        var doubles = new double[12_345];
        UniformSampler.Fill(doubles, 0.0, 1.0, 8);
        var fewer = new double[n];
        UniformSampler.Fill(fewer, 0.0, 1.0, 8);
        Assert.Equal(doubles[..n], fewer);
    }

    [Fact]
    public void ValuesHaveTheUniformCdf()
    {
        // 1M values: the empirical CDF's standard error is ≤ 0.0005; the tolerance is 0.002.
        var values = new float[1_000_000];
        UniformSampler.Fill(values, 0f, 1f, 9);
        var doubles = new double[1_000_000];
        UniformSampler.Fill(doubles, 0.0, 1.0, 9);
        foreach (var x in new[] { 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999 })
        {
            Assert.InRange(values.Count(v => v <= x) / 1e6, x - 0.002, x + 0.002);
            Assert.InRange(doubles.Count(v => v <= x) / 1e6, x - 0.002, x + 0.002);
        }
        Assert.True(values.All(v => v is >= 0f and < 1f) && doubles.All(v => v is >= 0.0 and < 1.0));
    }
}
