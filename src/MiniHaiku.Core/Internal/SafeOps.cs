using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Internal;

/// <summary>
/// The library's tensor arithmetic with every TorchSharp <see cref="Scalar"/> kept alive across the native call.
/// </summary>
/// <remarks>
/// TorchSharp 0.107's <see cref="Scalar"/> is a raw native handle with a finalizer, and its tensor methods read
/// the handle and call native code without <c>GC.KeepAlive</c>. A temporary Scalar — an implicit
/// <c>double → Scalar</c> conversion, or the <c>alpha = 1</c> hidden in <c>Tensor.add/sub</c> and the
/// <c>+</c>/<c>-</c> operators — can be finalized, and its native memory freed, while the call still uses it:
/// under threads and GC pressure this shows as <c>ExternalException: Expected false to be true</c>.
/// Rule for library code: never write <c>a + b</c>, <c>a - b</c>, <c>a.add(b)</c>, <c>a.add_(b)</c>,
/// <c>a * 2.0</c>, <c>x.pow(2)</c>, <c>x.square()</c>, <c>clamp(min: 1e-6)</c> … directly; use these helpers (or hold a
/// <c>using var s = v.ToScalar()</c> across the call). Tensor-by-tensor <c>mul</c>/<c>div</c> take no Scalar.
/// The constant Scalars below are static, hence rooted for the process lifetime and never finalized.
/// <c>tests/Unit/Internal/ScalarHazardScanTests</c> enforces the rule on MiniHaiku.Core's IL.
/// </remarks>
internal static class SafeOps
{
    /// <summary>The integer Scalar 1 (the default alpha of add/sub; an integer so integer tensors accept it), rooted forever.</summary>
    internal static readonly Scalar One = 1L.ToScalar();

    /// <summary>The integer Scalar −1, rooted forever.</summary>
    internal static readonly Scalar MinusOne = (-1L).ToScalar();

    /// <summary>Runs <paramref name="op"/> with a Scalar of <paramref name="value"/> kept alive across it.</summary>
    internal static Tensor WithScalar(double value, Func<Scalar, Tensor> op)
    {
        using var s = value.ToScalar();
        var result = op(s);
        GC.KeepAlive(s);
        return result;
    }

    /// <summary><c>a + b</c>.</summary>
    internal static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary><c>a += b</c> in place; returns <paramref name="a"/>.</summary>
    internal static Tensor PlusInPlace(this Tensor a, Tensor b) => a.add_(b, One);

    /// <summary><c>a - b</c>.</summary>
    internal static Tensor Minus(this Tensor a, Tensor b) => a.add(b, MinusOne);

    /// <summary><c>a -= b</c> in place; returns <paramref name="a"/>.</summary>
    internal static Tensor MinusInPlace(this Tensor a, Tensor b) => a.add_(b, MinusOne);

    /// <summary><c>a + alpha·b</c>.</summary>
    internal static Tensor PlusScaled(this Tensor a, Tensor b, double alpha) => WithScalar(alpha, s => a.add(b, s));

    /// <summary><c>a += alpha·b</c> in place.</summary>
    internal static Tensor PlusScaledInPlace(this Tensor a, Tensor b, double alpha) => WithScalar(alpha, s => a.add_(b, s));

    /// <summary><c>a + v</c>.</summary>
    internal static Tensor Plus(this Tensor a, double v) => WithScalar(v, s => a.add(s, One));

    /// <summary><c>a += v</c> in place.</summary>
    internal static Tensor PlusInPlace(this Tensor a, double v) => WithScalar(v, s => a.add_(s, One));

    /// <summary><c>v - a</c>.</summary>
    internal static Tensor SubtractedFrom(this Tensor a, double v)
    {
        using var s = v.ToScalar();
        using var negated = a.neg();
        var result = negated.add(s, One);
        GC.KeepAlive(s);
        return result;
    }

    /// <summary><c>a · v</c>.</summary>
    internal static Tensor Times(this Tensor a, double v) => WithScalar(v, s => a.mul(s));

    /// <summary><c>a ·= v</c> in place.</summary>
    internal static Tensor TimesInPlace(this Tensor a, double v) => WithScalar(v, s => a.mul_(s));

    /// <summary><c>a / v</c>.</summary>
    internal static Tensor DividedBy(this Tensor a, double v) => WithScalar(v, s => a.div(s));

    /// <summary><c>a /= v</c> in place.</summary>
    internal static Tensor DivideInPlace(this Tensor a, double v) => WithScalar(v, s => a.div_(s));

    /// <summary><c>a ^ v</c> elementwise.</summary>
    internal static Tensor Power(this Tensor a, double v) => WithScalar(v, s => a.pow(s));

    /// <summary><c>a²</c> elementwise: TorchSharp's <c>square()</c> is <c>pow(2)</c> with a temporary Scalar.</summary>
    internal static Tensor Squared(this Tensor a) => a.Power(2.0);

    /// <summary><c>max(a, min)</c> elementwise.</summary>
    internal static Tensor ClampMin(this Tensor a, double min) => WithScalar(min, s => a.clamp_min(s));

    /// <summary><c>min(a, max)</c> elementwise.</summary>
    internal static Tensor ClampMax(this Tensor a, double max) => WithScalar(max, s => a.clamp_max(s));

    /// <summary><c>a</c> clamped to [min, max].</summary>
    internal static Tensor ClampTo(this Tensor a, double min, double max)
    {
        using Scalar lo = min.ToScalar(), hi = max.ToScalar();
        var result = a.clamp(lo, hi);
        GC.KeepAlive(lo);
        GC.KeepAlive(hi);
        return result;
    }

    /// <summary><c>a</c> clamped to [min, max] in place.</summary>
    internal static Tensor ClampInPlace(this Tensor a, double min, double max)
    {
        using Scalar lo = min.ToScalar(), hi = max.ToScalar();
        var result = a.clamp_(lo, hi);
        GC.KeepAlive(lo);
        GC.KeepAlive(hi);
        return result;
    }

    /// <summary><c>a += value · t1 · t2</c> in place.</summary>
    internal static Tensor AddcmulInPlace(this Tensor a, Tensor t1, Tensor t2, double value) =>
        WithScalar(value, s => a.addcmul_(t1, t2, s));

    /// <summary><c>a += value · t1 / t2</c> in place.</summary>
    internal static Tensor AddcdivInPlace(this Tensor a, Tensor t1, Tensor t2, double value) =>
        WithScalar(value, s => a.addcdiv_(t1, t2, s));

    /// <summary>Fills <paramref name="a"/> with <paramref name="v"/> in place.</summary>
    internal static Tensor FillInPlace(this Tensor a, double v) => WithScalar(v, s => a.fill_(s));

    /// <summary>A new tensor of <paramref name="shape"/> filled with <paramref name="v"/>.</summary>
    internal static Tensor Full(long[] shape, double v, ScalarType dtype, Device? device = null) =>
        WithScalar(v, s => torch.full(shape, s, dtype: dtype, device: device));

    /// <summary>A new tensor like <paramref name="t"/> (shape, dtype, device) filled with <paramref name="v"/>.</summary>
    internal static Tensor FullLike(Tensor t, double v) => WithScalar(v, s => torch.full_like(t, s, requires_grad: false));

    /// <summary><c>a = (a &gt;= v)</c> in place, in <paramref name="a"/>'s dtype (1 or 0).</summary>
    internal static Tensor GreaterOrEqualInPlace(this Tensor a, double v) => WithScalar(v, s => a.ge_(s));

    /// <summary><c>where(a &gt; v)</c> as a Bool tensor.</summary>
    internal static Tensor GreaterThan(this Tensor a, double v) => WithScalar(v, s => a.gt(s));

    /// <summary><c>where(a &lt; v)</c> as a Bool tensor.</summary>
    internal static Tensor LessThan(this Tensor a, double v) => WithScalar(v, s => a.lt(s));
}
