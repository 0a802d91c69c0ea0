using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

public static partial class Activations
{
    /// <summary>
    /// GELU with the tanh approximation. A large contiguous float32 CPU tensor goes through one vectorised managed pass
    /// forward and one backward (<see cref="GeluTanhKernel"/>); anything else through libtorch's <c>gelu(approximate: tanh)</c>.
    /// </summary>
    private static Tensor GeluTanh(Tensor x)
    {
        if (!GeluTanhKernel.Fits(x)) return nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh);
        if (x.requires_grad && torch.is_grad_enabled()) return GeluTanhFunction.Apply(x);
        using (torch.no_grad()) return GeluTanhKernel.Forward(x, torch.empty_like(x));
    }
}

/// <summary>
/// GELU (tanh approximation) over the memory of a contiguous float32 CPU tensor, vectorised, in the form
/// <c>x·σ(2u)</c> with <c>u = √(2/π)·(x + 0.044715·x³)</c>: the same function as <c>0.5·x·(1 + tanh(u))</c>
/// (since <c>(1 + tanh u)/2 = σ(2u)</c>), one exponential per value instead of a tanh, and without the cancellation of
/// <c>1 + tanh(u)</c> for very negative inputs. libtorch's CPU <c>tanh</c> is a scalar loop here (≈ 2.7 ns per value),
/// so its fused GELU costs ≈ 0.5 ms forward and ≈ 0.75 ms backward (which evaluates the tanh again) on the
/// Transformer row's [8, 64, 512] activations; these passes cost a fraction of that (<c>--profile attention</c> in bench/).
/// </summary>
internal static class GeluTanhKernel
{
    private const float Beta = 0.7978845608028654f; // √(2/π)
    private const float Kappa = 0.044715f;

    /// <summary>Below this many values libtorch's kernel wins: the custom autograd node costs tens of microseconds.</summary>
    internal const long MinValues = 16384;

    // exp(80) ≈ 5.5e34: finite, and 1 + e as well, so e·s stays a number where s underflows.
    private const float MaxExponent = 80f;

    /// <summary>Whether <paramref name="x"/> takes the managed path: float32, CPU, contiguous, large, vector hardware.</summary>
    internal static bool Fits(Tensor x)
    {
        if (!Vector256.IsHardwareAccelerated || x.dtype != ScalarType.Float32 || x.device_type != DeviceType.CPU) return false;
        var n = x.numel();
        return n >= MinValues && n <= int.MaxValue / sizeof(float) && x.is_contiguous();
    }

    /// <summary>Writes GELU(x) into <paramref name="y"/> (same shape, contiguous float32 CPU) and returns it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static Tensor Forward(Tensor x, Tensor y)
    {
        ReadOnlySpan<float> xs = MemoryMarshal.Cast<byte, float>(x.bytes);
        var ys = MemoryMarshal.Cast<byte, float>(y.bytes);
        var lanes = Vector256<float>.Count;
        var i = 0;
        for (; i <= xs.Length - lanes; i += lanes)
        {
            var v = Vector256.Create(xs.Slice(i, lanes));
            var e = Vector256.Exp(InnerTimesMinusTwo(v));
            (v / (Vector256<float>.One + e)).CopyTo(ys.Slice(i, lanes));
        }
        for (; i < xs.Length; i++)
        {
            var v = xs[i];
            ys[i] = v / (1f + MathF.Exp(-2f * Beta * (v + Kappa * v * v * v)));
        }
        GC.KeepAlive(x);
        GC.KeepAlive(y);
        return y;
    }

    /// <summary>
    /// dx = dy · GELU'(x), with <c>GELU'(x) = s·(1 + 2·x·(1 − s)·√(2/π)·(1 + 3·0.044715·x²))</c>, <c>s = σ(2u)</c>:
    /// the derivative of <c>0.5·x·(1 + tanh u)</c>, as libtorch's <c>gelu_backward</c> computes it. <c>1 − s</c> is taken as
    /// <c>e·s</c> (<c>e = exp(−2u)</c>, capped so that it stays finite), which does not cancel where <c>s</c> is near 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static Tensor Backward(Tensor x, Tensor dy)
    {
        var dx = torch.empty_like(x);
        ReadOnlySpan<float> xs = MemoryMarshal.Cast<byte, float>(x.bytes);
        ReadOnlySpan<float> dys = MemoryMarshal.Cast<byte, float>(dy.bytes);
        var dxs = MemoryMarshal.Cast<byte, float>(dx.bytes);
        var lanes = Vector256<float>.Count;
        Vector256<float> one = Vector256<float>.One, twoBeta = Vector256.Create(2f * Beta), threeKappa = Vector256.Create(3f * Kappa);
        var limit = Vector256.Create(MaxExponent);
        var i = 0;
        for (; i <= xs.Length - lanes; i += lanes)
        {
            var v = Vector256.Create(xs.Slice(i, lanes));
            var e = Vector256.Exp(Vector256.Min(InnerTimesMinusTwo(v), limit));
            var s = one / (one + e);
            var slope = s * (one + twoBeta * v * (e * s) * (one + threeKappa * v * v));
            (Vector256.Create(dys.Slice(i, lanes)) * slope).CopyTo(dxs.Slice(i, lanes));
        }
        for (; i < xs.Length; i++)
        {
            var v = xs[i];
            var e = MathF.Exp(MathF.Min(-2f * Beta * (v + Kappa * v * v * v), MaxExponent));
            var s = 1f / (1f + e);
            dxs[i] = dys[i] * (s * (1f + 2f * Beta * v * (e * s) * (1f + 3f * Kappa * v * v)));
        }
        GC.KeepAlive(x);
        GC.KeepAlive(dy);
        return dx;
    }

    /// <summary>
    /// The same derivative in torch ops, in libtorch's form <c>0.5·(1 + t) + 0.5·x·(1 − t²)·√(2/π)·(1 + 3κ·x²)</c> with
    /// <c>t = tanh(u)</c> (bounded everywhere, so its own derivative is too), for a gradient taken with <c>create_graph</c>.
    /// </summary>
    internal static Tensor DifferentiableBackward(Tensor x, Tensor dy)
    {
        using var scope = torch.NewDisposeScope();
        var squared = x * x;
        var t = torch.tanh(x.Plus(squared * x.Times(Kappa)).Times(Beta));
        var slope = t.Plus(1.0).Times(0.5).Plus(x.Times(0.5 * Beta) * (t * t).SubtractedFrom(1.0) * squared.Times(3.0 * Kappa).Plus(1.0));
        return (dy * slope).MoveToOuterDisposeScope();
    }

    // -2u = -2·√(2/π)·(x + κ·x³), the exponent of σ(2u) = 1 / (1 + exp(-2u)).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> InnerTimesMinusTwo(Vector256<float> v) =>
        Vector256.Create(-2f * Beta) * (v + Vector256.Create(Kappa) * v * v * v);
}

/// <summary>
/// The autograd node of <see cref="GeluTanhKernel"/>: saves the input, computes the gradient from it. Stateless (TorchSharp
/// keeps one shared instance), so calls on several threads do not interfere. The gradient it hands back is owned by the
/// dispose scope open around <c>backward</c> (each step's scope in the trainer), as any tensor TorchSharp creates there.
/// </summary>
internal sealed class GeluTanhFunction : torch.autograd.SingleTensorFunction<GeluTanhFunction>
{
    public override string Name => "MiniHaikuGeluTanh";

    /// <summary>GELU(x) with an autograd node; <paramref name="x"/> is a contiguous float32 CPU tensor.</summary>
    internal static Tensor Apply(Tensor x)
    {
        // The output buffer is made here and its handle released once the node has wrapped it (TorchSharp returns a new
        // handle for the output), so no second handle waits for a dispose scope or the finalizer.
        using var y = torch.empty_like(x);
        return apply(x, new Output(y));
    }

    public override Tensor forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var x = (Tensor)vars[0];
        ctx.save_for_backward([x]);
        return GeluTanhKernel.Forward(x, ((Output)vars[1]).Y);
    }

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        var x = saved[0];
        Tensor dx;
        // With create_graph the engine runs backward with grad mode on: the gradient must itself be differentiable.
        if (torch.is_grad_enabled() || gradOutput.dtype != ScalarType.Float32 || gradOutput.device_type != DeviceType.CPU)
            dx = GeluTanhKernel.DifferentiableBackward(x, gradOutput);
        else if (gradOutput.is_contiguous())
            dx = GeluTanhKernel.Backward(x, gradOutput);
        else
        {
            using var dense = gradOutput.contiguous(); // e.g. the expanded ones of sum()'s backward
            dx = GeluTanhKernel.Backward(x, dense);
        }
        x.Dispose();
        gradOutput.Dispose();
        return [dx, null!];
    }

    /// <summary>Carries the output buffer past TorchSharp's argument scan (a bare tensor would count as an input).</summary>
    private sealed record Output(Tensor Y);
}
