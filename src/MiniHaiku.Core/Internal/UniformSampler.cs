using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MiniHaiku.Internal;

/// <summary>
/// Fills float32/float64 memory with values uniform on [min, max) from <see cref="Xoshiro128Lanes"/> words written into
/// the destination itself, a chunk at a time, then mapped in place: the top 24 (float32) or 53 (float64) bits of the
/// words give u on [0, 1) exactly, and the value is <c>min + (max − min)·u</c> (one fused multiply-add), lowered to the
/// largest value below max where rounding would reach max. Callers ensure min &lt; max, both finite.
/// </summary>
internal static class UniformSampler
{
    /// <summary>Fills <paramref name="data"/> with values uniform on [<paramref name="min"/>, <paramref name="max"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Fill(Span<float> data, float min, float max, ulong seed) =>
        Xoshiro128Lanes.FillMapped(data, seed, chunk => Transform(chunk, min, max));

    /// <summary>Fills <paramref name="data"/> with values uniform on [<paramref name="min"/>, <paramref name="max"/>), each from two words.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Fill(Span<double> data, double min, double max, ulong seed) =>
        Xoshiro128Lanes.FillMapped(data, seed, chunk => Transform(chunk, min, max));

    /// <summary>Maps random words in place to <c>min + (max − min)·u</c>, u = (word &gt;&gt; 8)·2⁻²⁴, kept below max.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Transform(Span<float> data, float min, float max)
    {
        var words = MemoryMarshal.Cast<float, uint>(data);
        ref var at = ref MemoryMarshal.GetReference(words);
        var range = new Vector<float>(max - min);
        var low = new Vector<float>(min);
        var below = new Vector<float>(MathF.BitDecrement(max));
        var unit = new Vector<float>(1f / (1 << 24));
        int width = Vector<uint>.Count, i = 0;
        for (; i <= words.Length - width; i += width)
        {
            var u = Vector.ConvertToSingle((Vector.LoadUnsafe(ref at, (nuint)i) >>> 8).As<uint, int>()) * unit;
            Vector.MinNative(Vector.FusedMultiplyAdd(u, range, low), below).As<float, uint>().StoreUnsafe(ref at, (nuint)i);
        }
        for (; i < words.Length; i++)
            data[i] = MathF.Min(MathF.FusedMultiplyAdd((words[i] >> 8) * (1f / (1 << 24)), max - min, min), MathF.BitDecrement(max));
    }

    /// <summary>The float64 version: u = (word pair &gt;&gt; 11)·2⁻⁵³.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Transform(Span<double> data, double min, double max)
    {
        var words = MemoryMarshal.Cast<double, ulong>(data);
        ref var at = ref MemoryMarshal.GetReference(words);
        var range = new Vector<double>(max - min);
        var low = new Vector<double>(min);
        var below = new Vector<double>(Math.BitDecrement(max));
        var unit = new Vector<double>(1.0 / (1L << 53));
        int width = Vector<ulong>.Count, i = 0;
        for (; i <= words.Length - width; i += width)
        {
            var u = Vector.ConvertToDouble((Vector.LoadUnsafe(ref at, (nuint)i) >>> 11).As<ulong, long>()) * unit;
            Vector.MinNative(Vector.FusedMultiplyAdd(u, range, low), below).As<double, ulong>().StoreUnsafe(ref at, (nuint)i);
        }
        for (; i < words.Length; i++)
            data[i] = Math.Min(Math.FusedMultiplyAdd((words[i] >> 11) * (1.0 / (1L << 53)), max - min, min), Math.BitDecrement(max));
    }
}
