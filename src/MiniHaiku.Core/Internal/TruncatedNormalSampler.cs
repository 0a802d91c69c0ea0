using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MiniHaiku.Internal;

/// <summary>
/// Fills float32/float64 memory with <c>mean + stddev·z</c>, z a unit normal truncated to [-2, 2], by the inverse CDF in
/// vector code: random words from <see cref="Xoshiro128Lanes"/> are written into the destination itself, a chunk at a
/// time (so it stays in the L1 cache), and turned in place into <c>x</c> uniform on [−erf(√2), erf(√2)] and then
/// <c>z = √2·erfinv(x)</c>. Restricting x to that interval is restricting the normal to [-2, 2], so no value is redrawn:
/// erfinv is Giles' approximation (<i>Approximating the erfinv function</i>, GPU Computing Gems, 2011), of which only the
/// central branch (<c>w = −log(1 − x²) &lt; 5</c>, resp. 6.25) is ever needed here: one vector logarithm and one
/// polynomial per value, no branch. Accuracy against a double-precision erfinv: a few float32 ulps (≤ 1e-6 near ±2), and
/// ≈ 1e-15 for float64; the uniform has 24 (float32) or 53 (float64) significant bits, as fine as the result can show.
/// </summary>
internal static class TruncatedNormalSampler
{
    /// <summary>erf(√2) = Φ(2) − Φ(−2), the mass of a unit normal within ±2.</summary>
    internal const double ErfSqrt2 = 0.95449973610364158;

    // Words per chunk: 16 KiB of float32 (8 KiB-pairs of float64), drawn and transformed while in the L1 cache.
    private const int ChunkWords = 4096;

    // Giles' double-precision central branch (w < 6.25), highest power first.
    private static readonly double[] DoubleCoefficients =
    [
        -3.6444120640178196996e-21, -1.685059138182016589e-19, 1.2858480715256400167e-18, 1.115787767802518096e-17,
        -1.333171662854620906e-16, 2.0972767875968561637e-17, 6.6376381343583238325e-15, -4.0545662729752068639e-14,
        -8.1519341976054721522e-14, 2.6335093153082322977e-12, -1.2975133253453532498e-11, -5.4154120542946279317e-11,
        1.051212273321532285e-09, -4.1126339803469836976e-09, -2.9070369957882005086e-08, 4.2347877827932403518e-07,
        -1.3654692000834678645e-06, -1.3882523362786468719e-05, 0.0001867342080340571352, -0.00074070253416626697512,
        -0.0060336708714301490533, 0.24015818242558961693, 1.6536545626831027356,
    ];

    /// <summary>Fills <paramref name="data"/> with <c>mean + stddev·z</c>, the words drawn from a generator seeded with <paramref name="seed"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Fill(Span<float> data, float stddev, float mean, ulong seed)
    {
        var random = new Xoshiro128Lanes(seed);
        for (var start = 0; start < data.Length; start += ChunkWords)
        {
            var chunk = data.Slice(start, Math.Min(ChunkWords, data.Length - start));
            random.Fill(MemoryMarshal.Cast<float, uint>(chunk));
            Transform(chunk, stddev, mean);
        }
    }

    /// <summary>Fills <paramref name="data"/> with <c>mean + stddev·z</c>: each value from two words (64 random bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Fill(Span<double> data, double stddev, double mean, ulong seed)
    {
        var random = new Xoshiro128Lanes(seed);
        for (var start = 0; start < data.Length; start += ChunkWords / 2)
        {
            var chunk = data.Slice(start, Math.Min(ChunkWords / 2, data.Length - start));
            random.Fill(MemoryMarshal.Cast<double, uint>(chunk));
            Transform(chunk, stddev, mean);
        }
    }

    /// <summary>
    /// Turns random words, read as int32 r, into <c>mean + stddev·clamp(√2·erfinv(r·erf(√2)/2³¹), −2, 2)</c> in place. A
    /// tail shorter than a vector goes through a padded vector, so every value is computed by the same vector code.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Transform(Span<float> data, float stddev, float mean)
    {
        var words = MemoryMarshal.Cast<float, int>(data);
        ref var at = ref MemoryMarshal.GetReference(words);
        int width = Vector<int>.Count, i = 0;
        for (; i <= words.Length - width; i += width)
            Map(Vector.LoadUnsafe(ref at, (nuint)i), stddev, mean).As<float, int>().StoreUnsafe(ref at, (nuint)i);
        if (i < words.Length)
        {
            Span<int> tail = stackalloc int[width];
            tail.Clear();
            words[i..].CopyTo(tail);
            var mapped = Map(Vector.LoadUnsafe(ref MemoryMarshal.GetReference(tail)), stddev, mean).As<float, int>();
            mapped.StoreUnsafe(ref MemoryMarshal.GetReference(tail));
            tail[..(words.Length - i)].CopyTo(words[i..]);
        }
    }

    /// <summary>The float64 version of <see cref="Transform(Span{float}, float, float)"/>: words in pairs, read as int64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Transform(Span<double> data, double stddev, double mean)
    {
        var words = MemoryMarshal.Cast<double, long>(data);
        ref var at = ref MemoryMarshal.GetReference(words);
        int width = Vector<long>.Count, i = 0;
        for (; i <= words.Length - width; i += width)
            Map(Vector.LoadUnsafe(ref at, (nuint)i), stddev, mean).As<double, long>().StoreUnsafe(ref at, (nuint)i);
        if (i < words.Length)
        {
            Span<long> tail = stackalloc long[width];
            tail.Clear();
            words[i..].CopyTo(tail);
            var mapped = Map(Vector.LoadUnsafe(ref MemoryMarshal.GetReference(tail)), stddev, mean).As<double, long>();
            mapped.StoreUnsafe(ref MemoryMarshal.GetReference(tail));
            tail[..(words.Length - i)].CopyTo(words[i..]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Map(Vector<int> word, float stddev, float mean)
    {
        // x uniform on [−erf(√2), erf(√2)]: the int32 rounds to 24 significant bits, symmetric about 0.
        var x = Vector.ConvertToSingle(word) * new Vector<float>((float)(ErfSqrt2 / 2147483648.0));
        var one = Vector<float>.One;
        // (1 − x)(1 + x), not 1 − x²: exact factors, one rounding (Giles). w ≤ −log(1 − erf(√2)²) ≈ 2.42 < 5.
        var w = -Log((one - x) * (one + x)) - new Vector<float>(2.5f);
        var p = new Vector<float>(2.81022636e-08f);
        p = Vector.FusedMultiplyAdd(p, w, new Vector<float>(3.43273939e-07f));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<float>(-3.5233877e-06f));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<float>(-4.39150654e-06f));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<float>(0.00021858087f));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<float>(-0.00125372503f));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<float>(-0.00417768164f));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<float>(0.246640727f));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<float>(1.50140941f));
        var two = new Vector<float>(2f);
        var z = Vector.MinNative(Vector.MaxNative(p * x * new Vector<float>(MathF.Sqrt(2f)), -two), two);
        return Vector.FusedMultiplyAdd(z, new Vector<float>(stddev), new Vector<float>(mean));
    }

    /// <summary>
    /// The natural logarithm of positive normal floats, branch-free (Cephes' <c>logf</c>: y = m·2^e with m in [√½, √2),
    /// log(m) by a degree-9 polynomial in m − 1; within 2 ulps). <see cref="Vector.Log(Vector{float})"/> is several times
    /// slower here (it also handles zero, negatives, subnormals, infinities and NaN, which cannot occur).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Log(Vector<float> y)
    {
        var bits = y.As<float, int>();
        var e = (bits >> 23) - new Vector<int>(126);
        var m = ((bits & new Vector<int>(0x007FFFFF)) | new Vector<int>(0x3F000000)).As<int, float>(); // [0.5, 1)
        var low = Vector.LessThan(m, new Vector<float>(0.707106781186547524f));
        e += low; // −1 where m < √½ (the mask is all ones)
        var f = m + (m & low.As<int, float>()) - Vector<float>.One; // 2m − 1 or m − 1, in [√½ − 1, √2 − 1)
        var z = f * f;
        var p = new Vector<float>(7.0376836292e-2f);
        p = Vector.FusedMultiplyAdd(p, f, new Vector<float>(-1.1514610310e-1f));
        p = Vector.FusedMultiplyAdd(p, f, new Vector<float>(1.1676998740e-1f));
        p = Vector.FusedMultiplyAdd(p, f, new Vector<float>(-1.2420140846e-1f));
        p = Vector.FusedMultiplyAdd(p, f, new Vector<float>(1.4249322787e-1f));
        p = Vector.FusedMultiplyAdd(p, f, new Vector<float>(-1.6668057665e-1f));
        p = Vector.FusedMultiplyAdd(p, f, new Vector<float>(2.0000714765e-1f));
        p = Vector.FusedMultiplyAdd(p, f, new Vector<float>(-2.4999993993e-1f));
        p = Vector.FusedMultiplyAdd(p, f, new Vector<float>(3.3333331174e-1f));
        var ef = Vector.ConvertToSingle(e);
        var r = p * f * z + ef * new Vector<float>(-2.12194440e-4f) - z * new Vector<float>(0.5f);
        return f + r + ef * new Vector<float>(0.693359375f);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<double> Map(Vector<long> word, double stddev, double mean)
    {
        var x = Vector.ConvertToDouble(word) * new Vector<double>(ErfSqrt2 / 9223372036854775808.0);
        var one = Vector<double>.One;
        var w = -Vector.Log((one - x) * (one + x)) - new Vector<double>(3.125);
        var c = DoubleCoefficients;
        var p = new Vector<double>(c[0]);
        for (var k = 1; k < c.Length; k++) p = p * w + new Vector<double>(c[k]);
        var two = new Vector<double>(2.0);
        var z = Vector.Min(Vector.Max(p * x * new Vector<double>(Math.Sqrt(2.0)), -two), two);
        return z * new Vector<double>(stddev) + new Vector<double>(mean);
    }
}
