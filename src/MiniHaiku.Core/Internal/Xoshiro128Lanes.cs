using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MiniHaiku.Internal;

/// <summary>
/// Sixteen independent xoshiro128** generators (Blackman and Vigna) run side by side, so that vector code draws 16 (or
/// 8, or 4) 32-bit words per step instead of one. Output word j of a stream comes from lane <c>j % 16</c>, step
/// <c>j / 16</c>, whatever the vector width the hardware offers (<see cref="Vector{T}"/>: 4, 8 or 16 lanes, or scalar):
/// the same seed gives the same words on every machine. The lanes are seeded from one 64-bit seed by SplitMix64, as
/// the algorithm's authors recommend. Not thread-safe; one instance fills one tensor.
/// </summary>
internal sealed class Xoshiro128Lanes
{
    /// <summary>The number of interleaved generators: words are produced 16 at a time.</summary>
    public const int Lanes = 16;

    // s0 of the 16 lanes, then s1, s2, s3: each state word is a contiguous row that loads as vectors.
    private readonly uint[] state = new uint[4 * Lanes];

    /// <summary>Seeds the 16 lanes from <paramref name="seed"/> by SplitMix64 (never an all-zero lane).</summary>
    public Xoshiro128Lanes(ulong seed)
    {
        for (var lane = 0; lane < Lanes; lane++)
        {
            ulong a = SplitMix64(ref seed), b = SplitMix64(ref seed);
            state[lane] = (uint)a;
            state[Lanes + lane] = (uint)(a >> 32);
            state[2 * Lanes + lane] = (uint)b;
            state[3 * Lanes + lane] = (uint)(b >> 32);
            if ((a | b) == 0) state[lane] = 1; // xoshiro's one forbidden state (probability 2⁻¹²⁸)
        }
    }

    /// <summary>Bytes drawn and mapped at a time by <see cref="FillMapped{T}"/>: small enough to stay in the L1 cache.</summary>
    public const int ChunkBytes = 16384;

    /// <summary>Maps, in place, a chunk of random words read as values of <typeparamref name="T"/>.</summary>
    public delegate void ChunkMap<T>(Span<T> chunk) where T : unmanaged;

    /// <summary>
    /// Fills <paramref name="data"/> with the stream of a generator seeded with <paramref name="seed"/>,
    /// <see cref="ChunkBytes"/> at a time, and applies <paramref name="map"/> to each chunk while it is still in the cache
    /// (the samplers turn words into values this way, in one pass over the tensor's memory).
    /// </summary>
    public static void FillMapped<T>(Span<T> data, ulong seed, ChunkMap<T> map) where T : unmanaged
    {
        var random = new Xoshiro128Lanes(seed);
        var chunkValues = ChunkBytes / Unsafe.SizeOf<T>();
        for (var start = 0; start < data.Length; start += chunkValues)
        {
            var chunk = data.Slice(start, Math.Min(chunkValues, data.Length - start));
            random.Fill(MemoryMarshal.Cast<T, uint>(chunk));
            map(chunk);
        }
    }

    /// <summary>
    /// Fills <paramref name="destination"/> with the next words of the stream. A length that is not a multiple of
    /// <see cref="Lanes"/> consumes a whole last step (its unused words are dropped), so only the last call on a
    /// stream should have one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Fill(Span<uint> destination)
    {
        var whole = destination.Length / Lanes * Lanes;
        if (Vector.IsHardwareAccelerated && Lanes % Vector<uint>.Count == 0)
        {
            for (var group = 0; group < Lanes; group += Vector<uint>.Count) FillGroup(destination[..whole], group);
        }
        else
        {
            for (var lane = 0; lane < Lanes; lane++) FillLane(destination[..whole], lane);
        }
        if (whole < destination.Length)
        {
            Span<uint> last = stackalloc uint[Lanes];
            for (var lane = 0; lane < Lanes; lane++) FillLane(last, lane);
            last[..(destination.Length - whole)].CopyTo(destination[whole..]);
        }
    }

    // The lanes group .. group + Vector<uint>.Count - 1, kept in registers over the whole destination (one store per step,
    // 64 bytes apart: the destination is a chunk that stays in the L1 cache).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FillGroup(Span<uint> destination, int group)
    {
        ref var row = ref MemoryMarshal.GetArrayDataReference(state);
        var s0 = Vector.LoadUnsafe(ref row, (nuint)group);
        var s1 = Vector.LoadUnsafe(ref row, (nuint)(Lanes + group));
        var s2 = Vector.LoadUnsafe(ref row, (nuint)(2 * Lanes + group));
        var s3 = Vector.LoadUnsafe(ref row, (nuint)(3 * Lanes + group));
        ref var output = ref MemoryMarshal.GetReference(destination);
        for (var at = group; at < destination.Length; at += Lanes)
        {
            var times5 = (s1 << 2) + s1;
            var rotated = (times5 << 7) | (times5 >>> 25);
            ((rotated << 3) + rotated).StoreUnsafe(ref output, (nuint)at);
            var t = s1 << 9;
            s2 ^= s0;
            s3 ^= s1;
            s1 ^= s2;
            s0 ^= s3;
            s2 ^= t;
            s3 = (s3 << 11) | (s3 >>> 21);
        }
        s0.StoreUnsafe(ref row, (nuint)group);
        s1.StoreUnsafe(ref row, (nuint)(Lanes + group));
        s2.StoreUnsafe(ref row, (nuint)(2 * Lanes + group));
        s3.StoreUnsafe(ref row, (nuint)(3 * Lanes + group));
    }

    // The same for one lane in scalar code (no vector hardware, and a partial last step).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FillLane(Span<uint> destination, int lane)
    {
        uint s0 = state[lane], s1 = state[Lanes + lane], s2 = state[2 * Lanes + lane], s3 = state[3 * Lanes + lane];
        for (var at = lane; at < destination.Length; at += Lanes)
        {
            destination[at] = BitOperations.RotateLeft(s1 * 5, 7) * 9;
            var t = s1 << 9;
            s2 ^= s0;
            s3 ^= s1;
            s1 ^= s2;
            s0 ^= s3;
            s2 ^= t;
            s3 = BitOperations.RotateLeft(s3, 11);
        }
        state[lane] = s0;
        state[Lanes + lane] = s1;
        state[2 * Lanes + lane] = s2;
        state[3 * Lanes + lane] = s3;
    }

    private static ulong SplitMix64(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
