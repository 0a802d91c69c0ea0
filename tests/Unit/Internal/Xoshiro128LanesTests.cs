using System.Numerics;
using MiniHaiku.Internal;

namespace MiniHaiku.Tests.Internal;

/// <summary>
/// The 16-lane xoshiro128** generator: every lane is the published algorithm (checked against a plain scalar version and
/// its known first outputs), words interleave lane by lane, and how the stream is cut into calls does not change it.
/// </summary>
public class Xoshiro128LanesTests
{
    // A plain, scalar xoshiro128** (Blackman & Vigna), independent of the vector code under test.
    private static uint Next(uint[] s)
    {
        var result = BitOperations.RotateLeft(s[1] * 5, 7) * 9;
        var t = s[1] << 9;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = BitOperations.RotateLeft(s[3], 11);
        return result;
    }

    private static ulong SplitMix64(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The expected stream: lane l seeded by the 2l-th and (2l+1)-th SplitMix64 outputs, word j from lane j % 16.</summary>
    private static uint[] Reference(ulong seed, int count)
    {
        var lanes = new uint[16][];
        for (var l = 0; l < 16; l++)
        {
            ulong a = SplitMix64(ref seed), b = SplitMix64(ref seed);
            lanes[l] = [(uint)a, (uint)(a >> 32), (uint)b, (uint)(b >> 32)];
        }
        var words = new uint[count];
        for (var j = 0; j < count; j++) words[j] = Next(lanes[j % 16]);
        return words;
    }

    private static uint[] Draw(ulong seed, params int[] calls)
    {
        var random = new Xoshiro128Lanes(seed);
        var words = new uint[calls.Sum()];
        var at = 0;
        foreach (var n in calls)
        {
            random.Fill(words.AsSpan(at, n));
            at += n;
        }
        return words;
    }

    [Fact]
    public void TheScalarReferenceIsXoshiro128StarStar()
    {
        // The algorithm's first outputs from the state {1, 2, 3, 4}, worked by hand from its definition.
        uint[] s = [1, 2, 3, 4];
        Assert.Equal([11520u, 0u, 5927040u], new[] { Next(s), Next(s), Next(s) });
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(42UL)]
    [InlineData(ulong.MaxValue)]
    public void EveryLaneIsXoshiroSeededBySplitMix(ulong seed)
    {
        Assert.Equal(Reference(seed, 16 * 300), Draw(seed, 16 * 300));
    }

    [Fact]
    public void CuttingTheStreamIntoCallsOfWholeStepsChangesNothing()
    {
        var whole = Draw(7, 16 * 100);
        Assert.Equal(whole, Draw(7, 16, 16 * 3, 16 * 50, 16 * 46));
        Assert.Equal(whole, Draw(7, 16 * 99, 16));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(17)]
    [InlineData(31)]
    [InlineData(16 * 9 + 3)]
    public void ALengthThatIsNotAMultipleOfSixteenIsThePrefixOfTheLongerStream(int n)
    {
        Assert.Equal(Reference(9, n), Draw(9, n));
    }

    [Fact]
    public void DifferentSeedsGiveUnrelatedWords()
    {
        var a = Draw(1, 16 * 1000);
        var b = Draw(2, 16 * 1000);
        Assert.InRange(a.Zip(b).Count(p => p.First == p.Second), 0, 1);
        // Each bit is set about half the time, in every lane.
        for (var bit = 0; bit < 32; bit++)
        {
            var ones = a.Count(w => (w >> bit & 1) != 0);
            Assert.InRange(ones, 16 * 1000 / 2 - 400, 16 * 1000 / 2 + 400); // ±6.3 standard deviations
        }
    }
}
