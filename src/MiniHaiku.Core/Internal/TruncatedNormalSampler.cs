using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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

    // Giles' single-precision central branch (w < 5), highest power first.
    private const float E0 = 2.81022636e-08f;
    private const float E1 = 3.43273939e-07f;
    private const float E2 = -3.5233877e-06f;
    private const float E3 = -4.39150654e-06f;
    private const float E4 = 0.00021858087f;
    private const float E5 = -0.00125372503f;
    private const float E6 = -0.00417768164f;
    private const float E7 = 0.246640727f;
    private const float E8 = 1.50140941f;

    // Cephes' logf: log(1 + f) = f − f²/2 + f³·P(f), P highest power first.
    private const float L0 = 7.0376836292e-2f;
    private const float L1 = -1.1514610310e-1f;
    private const float L2 = 1.1676998740e-1f;
    private const float L3 = -1.2420140846e-1f;
    private const float L4 = 1.4249322787e-1f;
    private const float L5 = -1.6668057665e-1f;
    private const float L6 = 2.0000714765e-1f;
    private const float L7 = -2.4999993993e-1f;
    private const float L8 = 3.3333331174e-1f;
    private const float SqrtHalf = 0.707106781186547524f;

    // Giles' double-precision central branch (w < 6.25), highest power first.
    private const double D0 = -3.6444120640178196996e-21;
    private const double D1 = -1.685059138182016589e-19;
    private const double D2 = 1.2858480715256400167e-18;
    private const double D3 = 1.115787767802518096e-17;
    private const double D4 = -1.333171662854620906e-16;
    private const double D5 = 2.0972767875968561637e-17;
    private const double D6 = 6.6376381343583238325e-15;
    private const double D7 = -4.0545662729752068639e-14;
    private const double D8 = -8.1519341976054721522e-14;
    private const double D9 = 2.6335093153082322977e-12;
    private const double D10 = -1.2975133253453532498e-11;
    private const double D11 = -5.4154120542946279317e-11;
    private const double D12 = 1.051212273321532285e-09;
    private const double D13 = -4.1126339803469836976e-09;
    private const double D14 = -2.9070369957882005086e-08;
    private const double D15 = 4.2347877827932403518e-07;
    private const double D16 = -1.3654692000834678645e-06;
    private const double D17 = -1.3882523362786468719e-05;
    private const double D18 = 0.0001867342080340571352;
    private const double D19 = -0.00074070253416626697512;
    private const double D20 = -0.0060336708714301490533;
    private const double D21 = 0.24015818242558961693;
    private const double D22 = 1.6536545626831027356;

    /// <summary>Fills <paramref name="data"/> with <c>mean + stddev·z</c>, the words drawn from a generator seeded with <paramref name="seed"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Fill(Span<float> data, float stddev, float mean, ulong seed) =>
        Xoshiro128Lanes.FillMapped(data, seed, chunk => Transform(chunk, stddev, mean));

    /// <summary>Fills <paramref name="data"/> with <c>mean + stddev·z</c>: each value from two words (64 random bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Fill(Span<double> data, double stddev, double mean, ulong seed) =>
        Xoshiro128Lanes.FillMapped(data, seed, chunk => Transform(chunk, stddev, mean));

    /// <summary>
    /// Turns random words, read as int32 r, into <c>mean + stddev·clamp(√2·erfinv(r·erf(√2)/2³¹), −2, 2)</c> in place. A
    /// tail shorter than a vector goes through a padded vector, so every value is computed by the same vector code. With
    /// AVX-512 (<paramref name="allowVector512"/>, for tests) the bulk goes 16 values at a time through the same operations
    /// in <see cref="Vector512{T}"/>, with bitwise the same results (no operation differs in rounding: fused multiply-adds
    /// are exact by definition).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Transform(Span<float> data, float stddev, float mean, bool allowVector512 = true)
    {
        var words = MemoryMarshal.Cast<float, int>(data);
        ref var at = ref MemoryMarshal.GetReference(words);
        int width = Vector<int>.Count, i = 0;
        if (Vector512.IsHardwareAccelerated && allowVector512 && width < Vector512<int>.Count)
        {
            for (; i <= words.Length - Vector512<int>.Count; i += Vector512<int>.Count)
                Map(Vector512.LoadUnsafe(ref at, (nuint)i), stddev, mean).AsInt32().StoreUnsafe(ref at, (nuint)i);
        }
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

    /// <summary>The float64 version of <see cref="Transform(Span{float}, float, float, bool)"/>: words in pairs, read as int64.</summary>
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
        var p = new Vector<float>(E0);
        p = Vector.FusedMultiplyAdd(p, w, new Vector<float>(E1));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<float>(E2));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<float>(E3));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<float>(E4));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<float>(E5));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<float>(E6));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<float>(E7));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<float>(E8));
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
        var low = Vector.LessThan(m, new Vector<float>(SqrtHalf));
        e += low; // −1 where m < √½ (the mask is all ones)
        var f = m + (m & low.As<int, float>()) - Vector<float>.One; // 2m − 1 or m − 1, in [√½ − 1, √2 − 1)
        var z = f * f;
        var p = new Vector<float>(L0);
        p = Vector.FusedMultiplyAdd(p, f, new Vector<float>(L1));
        p = Vector.FusedMultiplyAdd(p, f, new Vector<float>(L2));
        p = Vector.FusedMultiplyAdd(p, f, new Vector<float>(L3));
        p = Vector.FusedMultiplyAdd(p, f, new Vector<float>(L4));
        p = Vector.FusedMultiplyAdd(p, f, new Vector<float>(L5));
        p = Vector.FusedMultiplyAdd(p, f, new Vector<float>(L6));
        p = Vector.FusedMultiplyAdd(p, f, new Vector<float>(L7));
        p = Vector.FusedMultiplyAdd(p, f, new Vector<float>(L8));
        var ef = Vector.ConvertToSingle(e);
        var r = p * f * z + ef * new Vector<float>(-2.12194440e-4f) - z * new Vector<float>(0.5f);
        return f + r + ef * new Vector<float>(0.693359375f);
    }

    // The same two functions on Vector512 (AVX-512): operation for operation, so the values are the same bits.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Map(Vector512<int> word, float stddev, float mean)
    {
        var x = Vector512.ConvertToSingle(word) * Vector512.Create((float)(ErfSqrt2 / 2147483648.0));
        var one = Vector512<float>.One;
        var w = -Log((one - x) * (one + x)) - Vector512.Create(2.5f);
        var p = Vector512.Create(E0);
        p = Vector512.FusedMultiplyAdd(p, w, Vector512.Create(E1));
        p = Vector512.FusedMultiplyAdd(p, w, Vector512.Create(E2));
        p = Vector512.FusedMultiplyAdd(p, w, Vector512.Create(E3));
        p = Vector512.FusedMultiplyAdd(p, w, Vector512.Create(E4));
        p = Vector512.FusedMultiplyAdd(p, w, Vector512.Create(E5));
        p = Vector512.FusedMultiplyAdd(p, w, Vector512.Create(E6));
        p = Vector512.FusedMultiplyAdd(p, w, Vector512.Create(E7));
        p = Vector512.FusedMultiplyAdd(p, w, Vector512.Create(E8));
        var two = Vector512.Create(2f);
        var z = Vector512.MinNative(Vector512.MaxNative(p * x * Vector512.Create(MathF.Sqrt(2f)), -two), two);
        return Vector512.FusedMultiplyAdd(z, Vector512.Create(stddev), Vector512.Create(mean));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Log(Vector512<float> y)
    {
        var bits = y.AsInt32();
        var e = (bits >> 23) - Vector512.Create(126);
        var m = ((bits & Vector512.Create(0x007FFFFF)) | Vector512.Create(0x3F000000)).AsSingle(); // [0.5, 1)
        var low = Vector512.LessThan(m, Vector512.Create(SqrtHalf));
        e += low.AsInt32(); // −1 where m < √½ (the mask is all ones)
        var f = m + (m & low) - Vector512<float>.One; // 2m − 1 or m − 1, in [√½ − 1, √2 − 1)
        var z = f * f;
        var p = Vector512.Create(L0);
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(L1));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(L2));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(L3));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(L4));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(L5));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(L6));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(L7));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(L8));
        var ef = Vector512.ConvertToSingle(e);
        var r = p * f * z + ef * Vector512.Create(-2.12194440e-4f) - z * Vector512.Create(0.5f);
        return f + r + ef * Vector512.Create(0.693359375f);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<double> Map(Vector<long> word, double stddev, double mean)
    {
        var x = Vector.ConvertToDouble(word) * new Vector<double>(ErfSqrt2 / 9223372036854775808.0);
        var one = Vector<double>.One;
        var w = -Log((one - x) * (one + x)) - new Vector<double>(3.125);
        var p = new Vector<double>(D0);
        p = Vector.FusedMultiplyAdd(p, w, new Vector<double>(D1));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<double>(D2));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<double>(D3));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<double>(D4));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<double>(D5));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<double>(D6));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<double>(D7));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<double>(D8));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<double>(D9));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<double>(D10));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<double>(D11));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<double>(D12));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<double>(D13));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<double>(D14));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<double>(D15));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<double>(D16));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<double>(D17));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<double>(D18));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<double>(D19));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<double>(D20));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<double>(D21));
        p = Vector.FusedMultiplyAdd(p, w, new Vector<double>(D22));
        var two = new Vector<double>(2.0);
        var z = Vector.MinNative(Vector.MaxNative(p * x * new Vector<double>(Math.Sqrt(2.0)), -two), two);
        return Vector.FusedMultiplyAdd(z, new Vector<double>(stddev), new Vector<double>(mean));
    }

    /// <summary>
    /// The natural logarithm of positive normal doubles, branch-free: y = m·2^e with m in [√½, √2), log(m) = 2·atanh(s)
    /// with s = (m − 1)/(m + 1), |s| ≤ 0.172, by its series to s¹⁹ (truncation below 1e-17). .NET's
    /// <see cref="Vector.Log(Vector{double})"/> made the float64 pass several times slower.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<double> Log(Vector<double> y)
    {
        var bits = y.As<double, long>();
        var e = (bits >> 52) - new Vector<long>(1022);
        var m = ((bits & new Vector<long>(0x000FFFFFFFFFFFFF)) | new Vector<long>(0x3FE0000000000000)).As<long, double>(); // [0.5, 1)
        var low = Vector.LessThan(m, new Vector<double>(0.70710678118654752440));
        e += low; // −1 where m < √½ (the mask is all ones)
        m += m & low.As<long, double>(); // 2m where m < √½
        var one = Vector<double>.One;
        var t = (m - one) / (m + one);
        var t2 = t * t;
        var q = new Vector<double>(1.0 / 19);
        q = Vector.FusedMultiplyAdd(q, t2, new Vector<double>(1.0 / 17));
        q = Vector.FusedMultiplyAdd(q, t2, new Vector<double>(1.0 / 15));
        q = Vector.FusedMultiplyAdd(q, t2, new Vector<double>(1.0 / 13));
        q = Vector.FusedMultiplyAdd(q, t2, new Vector<double>(1.0 / 11));
        q = Vector.FusedMultiplyAdd(q, t2, new Vector<double>(1.0 / 9));
        q = Vector.FusedMultiplyAdd(q, t2, new Vector<double>(1.0 / 7));
        q = Vector.FusedMultiplyAdd(q, t2, new Vector<double>(1.0 / 5));
        q = Vector.FusedMultiplyAdd(q, t2, new Vector<double>(1.0 / 3));
        q = Vector.FusedMultiplyAdd(q, t2, new Vector<double>(1.0 / 1));
        return Vector.FusedMultiplyAdd(Vector.ConvertToDouble(e), new Vector<double>(0.69314718055994530942), (t + t) * q);
    }
}
