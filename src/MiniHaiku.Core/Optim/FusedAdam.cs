using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

/// <summary>
/// Adam's moments and denominator in one vectorised managed pass over flat CPU buffers: per element
/// <c>m' = m + (1 − b1)(g − m)</c> (torch.optim.Adam's <c>lerp</c>), <c>v' = b2·v + (1 − b2)·g²</c> and
/// <c>d = √v' + ε̂</c>. libtorch runs these as four kernels (<c>lerp_</c>, <c>mul_</c>, <c>addcmul_</c>, <c>sqrt</c>
/// + <c>add_</c>), each a pass over buffers that no longer fit in the cache; this is one pass reading g, m, v and
/// writing m', v', d. The same arithmetic up to the order of roundings (the parity tests against torch.optim hold).
/// </summary>
internal static class FusedAdam
{
    /// <summary>Below this many values the kernels' fixed cost does not matter; above it, work is split over torch's threads.</summary>
    private const int ParallelThreshold = 1 << 20;

    /// <summary>Whether the buffers take the managed pass: contiguous, CPU, one dtype (float32 or float64), same length, vector hardware.</summary>
    public static bool Fits(Tensor g, Tensor m, Tensor v)
    {
        if (!Fits(g)) return false;
        var (dtype, n) = (g.dtype, g.numel());
        return m.dtype == dtype && v.dtype == dtype && m.numel() == n && v.numel() == n
            && m.is_contiguous() && v.is_contiguous() && m.device_type == DeviceType.CPU && v.device_type == DeviceType.CPU;
    }

    /// <summary>The part of <see cref="Fits(Tensor, Tensor, Tensor)"/> that depends on the gradient alone (checked before the slots are fetched).</summary>
    public static bool Fits(Tensor g)
    {
        if (!Vector256.IsHardwareAccelerated || g.device_type != DeviceType.CPU) return false;
        if (g.dtype is not (ScalarType.Float32 or ScalarType.Float64)) return false;
        var n = g.numel();
        return n > 0 && n <= int.MaxValue / 8 && g.is_contiguous();
    }

    /// <summary>
    /// Reads <paramref name="g"/>, <paramref name="m"/>, <paramref name="v"/>; writes the new moments to
    /// <paramref name="mOut"/>, <paramref name="vOut"/> and the denominator to <paramref name="dOut"/> (each may be the
    /// buffer it replaces: every element is read before it is written). Large buffers are split over
    /// <paramref name="threadCount"/> threads (default: torch's intra-op thread count).
    /// </summary>
    public static void Run(Tensor g, Tensor m, Tensor v, Tensor mOut, Tensor vOut, Tensor dOut, double oneMinusB1, double b2, double epsTerm, int? threadCount = null)
    {
        var n = (int)g.numel();
        var threads = threadCount ?? torch.get_num_threads();
        if (n < ParallelThreshold || threads <= 1)
        {
            Range(g, m, v, mOut, vOut, dOut, oneMinusB1, b2, epsTerm, 0, n);
            return;
        }
        var chunk = (n + threads - 1) / threads;
        Parallel.For(0, threads, k =>
        {
            var start = k * chunk;
            Range(g, m, v, mOut, vOut, dOut, oneMinusB1, b2, epsTerm, start, Math.Min(n, start + chunk));
        });
    }

    private static void Range(Tensor g, Tensor m, Tensor v, Tensor mOut, Tensor vOut, Tensor dOut, double oneMinusB1, double b2, double epsTerm, int start, int end)
    {
        if (start >= end) return;
        if (g.dtype == ScalarType.Float32) Pass<float>(g, m, v, mOut, vOut, dOut, (float)oneMinusB1, (float)b2, (float)(1 - b2), (float)epsTerm, start, end);
        else Pass(g, m, v, mOut, vOut, dOut, oneMinusB1, b2, 1 - b2, epsTerm, start, end);
        GC.KeepAlive(g);
        GC.KeepAlive(m);
        GC.KeepAlive(v);
        GC.KeepAlive(mOut);
        GC.KeepAlive(vOut);
        GC.KeepAlive(dOut);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pass<T>(Tensor gt, Tensor mt, Tensor vt, Tensor mOutT, Tensor vOutT, Tensor dOutT, T w1, T b2, T c2, T eps, int start, int end)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<T> g = Values<T>(gt)[start..end], m = Values<T>(mt)[start..end], v = Values<T>(vt)[start..end];
        Span<T> mOut = Values<T>(mOutT)[start..end], vOut = Values<T>(vOutT)[start..end], dOut = Values<T>(dOutT)[start..end];
        var lanes = Vector256<T>.Count;
        Vector256<T> vw1 = Vector256.Create(w1), vb2 = Vector256.Create(b2), vc2 = Vector256.Create(c2), veps = Vector256.Create(eps);
        var i = 0;
        for (; i <= g.Length - lanes; i += lanes)
        {
            var gi = Vector256.Create(g.Slice(i, lanes));
            var mi = Vector256.Create(m.Slice(i, lanes));
            var vi = Vector256.Create(v.Slice(i, lanes));
            var mNew = mi + vw1 * (gi - mi);
            var vNew = vb2 * vi + vc2 * (gi * gi);
            mNew.CopyTo(mOut.Slice(i, lanes));
            vNew.CopyTo(vOut.Slice(i, lanes));
            (Vector256.Sqrt(vNew) + veps).CopyTo(dOut.Slice(i, lanes));
        }
        for (; i < g.Length; i++)
        {
            T gi = g[i], mi = m[i], vi = v[i];
            var vNew = b2 * vi + c2 * (gi * gi);
            mOut[i] = mi + w1 * (gi - mi);
            vOut[i] = vNew;
            dOut[i] = T.Sqrt(vNew) + eps;
        }
    }

    private static Span<T> Values<T>(Tensor t) where T : unmanaged => MemoryMarshal.Cast<byte, T>(t.bytes);
}
