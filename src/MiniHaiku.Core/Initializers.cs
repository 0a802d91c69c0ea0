using System.Runtime.InteropServices;
using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku;

/// <summary>How <see cref="Initializers.VarianceScaling"/> counts the units a weight connects.</summary>
public enum FanMode
{
    /// <summary>Inputs per output unit.</summary>
    FanIn,

    /// <summary>Outputs per input unit.</summary>
    FanOut,

    /// <summary>The mean of fan-in and fan-out.</summary>
    FanAvg,
}

/// <summary>The distribution <see cref="Initializers.VarianceScaling"/> draws from.</summary>
public enum Distribution
{
    /// <summary>A normal cut at two standard deviations, rescaled so its variance is the target.</summary>
    TruncatedNormal,

    /// <summary>A normal distribution.</summary>
    Normal,

    /// <summary>A uniform distribution with the target variance.</summary>
    Uniform,
}

/// <summary>
/// The standard initializers, matching Haiku's <c>hk.initializers</c>. Every random one draws from the
/// generator it is given (never torch's global one), so values depend only on (seed, parameter path).
/// Fans follow Haiku: for a shape <c>[..., in, out]</c> the receptive field is the product of the
/// leading dimensions (dense <c>[in, out]</c>; convolution kernels <c>[kh, kw, in, out]</c>).
/// </summary>
public static class Initializers
{
    // KeepAlive: TorchSharp 0.107's Scalar is a raw handle with a finalizer, and its methods read the handle and
    // call native code without GC.KeepAlive. A temporary Scalar (an implicit double → Scalar, or the alpha = 1
    // hidden in Tensor.add/sub/+) can be finalized, and its native memory freed, while the native call still
    // uses it: under GC pressure from other threads this gives random "Expected false to be true" errors from
    // c10 (toFloat) or worse. All arithmetic here therefore goes through MiniHaiku.Internal.SafeOps.

    /// <summary>The standard deviation of a unit normal truncated to [-2, 2].</summary>
    public const double TruncatedNormalStddev = 0.87962566103423978;

    private const double CdfMinus2 = 0.022750131948179195;
    private const double CdfPlus2 = 0.97724986805182079;

    /// <summary>Fills with <paramref name="value"/>.</summary>
    /// <example><code>
    /// from b in Hk.GetParam("b", [width], Initializers.Constant(0.1))
    /// select x + b
    /// </code></example>
    /// <param name="value">The constant.</param>
    /// <returns>The initializer.</returns>
    public static Initializer Constant(double value) => BoundedInitializer.Create(Math.Abs(value), (shape, dtype, _) =>
    {
        return SafeOps.Full(shape, value, dtype);
    });

    /// <summary>Fills with zeros.</summary>
    /// <example><code>
    /// from b in Hk.GetParam("b", [width], Initializers.Zeros())
    /// select x + b
    /// </code></example>
    /// <returns>The initializer.</returns>
    public static Initializer Zeros() => ZerosInitializer;

    /// <summary>Fills with ones.</summary>
    /// <example><code>
    /// from scale in Hk.GetParam("scale", [width], Initializers.Ones())
    /// select x * scale
    /// </code></example>
    /// <returns>The initializer.</returns>
    public static Initializer Ones() => OnesInitializer;

    private static readonly Initializer ZerosInitializer = BoundedInitializer.Create(0.0, (shape, dtype, _) => torch.zeros(shape, dtype: dtype));
    private static readonly Initializer OnesInitializer = BoundedInitializer.Create(1.0, (shape, dtype, _) => torch.ones(shape, dtype: dtype));

    /// <summary>Draws from a normal distribution.</summary>
    /// <example><code>
    /// from w in Hk.GetParam("w", [x.shape[^1], width], Initializers.RandomNormal(stddev: 0.02))
    /// select x.matmul(w)
    /// </code></example>
    /// <param name="stddev">The standard deviation.</param>
    /// <param name="mean">The mean.</param>
    /// <returns>The initializer.</returns>
    public static Initializer RandomNormal(double stddev = 1.0, double mean = 0.0) =>
        (shape, dtype, g) => Floating(shape, dtype, t => t.normal_(mean, stddev, g));

    /// <summary>
    /// Draws uniformly from [<paramref name="min"/>, <paramref name="max"/>). For float32/float64 the bits come from a fast
    /// vectorised generator seeded by 64 bits drawn from the generator given (the same seed gives the same values; each call
    /// advances the generator).
    /// </summary>
    /// <example><code>
    /// from w in Hk.GetParam("w", [x.shape[^1], width], Initializers.RandomUniform(-0.1, 0.1))
    /// select x.matmul(w)
    /// </code></example>
    /// <param name="min">The lower bound.</param>
    /// <param name="max">The upper bound.</param>
    /// <returns>The initializer.</returns>
    public static Initializer RandomUniform(double min = 0.0, double max = 1.0) =>
        BoundedInitializer.Create(Math.Max(Math.Max(Math.Abs(min), Math.Abs(max)), Math.Abs(max - min)),
            (shape, dtype, g) => Floating(shape, dtype, t => FillUniform(t, min, max, g)));

    /// <summary>
    /// Fills <paramref name="t"/> (fresh, contiguous) uniformly on [<paramref name="min"/>, <paramref name="max"/>). For
    /// float32/float64 on the CPU (min &lt; max, a finite range) the bits come from the vectorised generator of
    /// <see cref="UniformSampler"/>, seeded by 64 bits drawn from <paramref name="g"/>; otherwise from libtorch's <c>uniform_</c>.
    /// </summary>
    private static Tensor FillUniform(Tensor t, double min, double max, Generator g)
    {
        var n = t.numel();
        if (n > 0 && t.device_type == DeviceType.CPU && n <= int.MaxValue / 8)
        {
            if (t.dtype == ScalarType.Float32 && (float)min < (float)max && float.IsFinite((float)max - (float)min))
            {
                UniformSampler.Fill(MemoryMarshal.Cast<byte, float>(t.bytes), (float)min, (float)max, DrawSeed(g));
                GC.KeepAlive(t);
                return t;
            }
            if (t.dtype == ScalarType.Float64 && min < max && double.IsFinite(max - min))
            {
                UniformSampler.Fill(MemoryMarshal.Cast<byte, double>(t.bytes), min, max, DrawSeed(g));
                GC.KeepAlive(t);
                return t;
            }
        }
        return t.uniform_(min, max, g);
    }

    /// <summary>
    /// Draws from a normal cut at two standard deviations: <c>mean + stddev * z</c> with z a unit normal
    /// truncated to [-2, 2] (as Haiku: the result's standard deviation is ≈0.88·stddev). Every value is an inverse-CDF
    /// draw, <c>z = √2·erfinv(x)</c> with x uniform on [−erf(√2), erf(√2)], so none is redrawn; for float32/float64 the
    /// uniform bits come from a fast vectorised generator seeded by 64 bits drawn from the generator given (the same seed
    /// gives the same values; each call advances the generator).
    /// </summary>
    /// <example><code>
    /// from w in Hk.GetParam("w", [x.shape[^1], width], Initializers.TruncatedNormal(stddev: 0.02))   // within two standard deviations
    /// select x.matmul(w)
    /// </code></example>
    /// <param name="stddev">The scale of the untruncated normal.</param>
    /// <param name="mean">The mean.</param>
    /// <returns>The initializer.</returns>
    public static Initializer TruncatedNormal(double stddev = 1.0, double mean = 0.0) =>
        BoundedInitializer.Create(Math.Abs(mean) + 2 * Math.Abs(stddev),
            (shape, dtype, g) => Floating(shape, dtype, t => FillTruncatedNormal(t, stddev, mean, g)));

    /// <summary>
    /// Fills <paramref name="t"/> (fresh, contiguous) with <c>mean + stddev·z</c>, z a unit normal truncated to [-2, 2], by
    /// the inverse CDF: <c>z = √2·erfinv(x)</c>, x uniform on [−erf(√2), erf(√2)] (= [2Φ(−2) − 1, 2Φ(2) − 1]), so no value
    /// is redrawn. For float32/float64 on the CPU the uniform bits come from 16 vectorised xoshiro128** streams seeded by
    /// 64 bits drawn from <paramref name="g"/> (<see cref="TruncatedNormalSampler"/>; two 32-bit words of one <c>randint</c>), written straight into the tensor's
    /// memory and transformed there; half precision and other devices draw the uniform with libtorch (<c>uniform_</c>,
    /// <c>erfinv_</c>). All randomness comes from <paramref name="g"/>, which advances.
    /// </summary>
    private static Tensor FillTruncatedNormal(Tensor t, double stddev, double mean, Generator g)
    {
        var n = t.numel();
        if (n == 0) return t;
        if (t.device_type == DeviceType.CPU && n <= int.MaxValue / 8 && t.dtype is ScalarType.Float32 or ScalarType.Float64)
        {
            var seed = DrawSeed(g);
            if (t.dtype == ScalarType.Float32) TruncatedNormalSampler.Fill(MemoryMarshal.Cast<byte, float>(t.bytes), (float)stddev, (float)mean, seed);
            else TruncatedNormalSampler.Fill(MemoryMarshal.Cast<byte, double>(t.bytes), stddev, mean, seed);
            GC.KeepAlive(t);
            return t;
        }
        using (var z = TruncatedByInverseCdf(n, ScalarType.Float32, g)) t.view(-1).copy_(z);
        if (stddev != 1.0) t.TimesInPlace(stddev);
        if (mean != 0.0) t.PlusInPlace(mean);
        return t;
    }

    /// <summary>64 random bits from <paramref name="g"/> (two 32-bit draws), which seed the managed generator.</summary>
    private static ulong DrawSeed(Generator g)
    {
        using var words = torch.randint(0, 1L << 32, [2], ScalarType.Int64, generator: g);
        var drawn = MemoryMarshal.Cast<byte, long>(words.bytes);
        var seed = (ulong)drawn[0] << 32 | (ulong)drawn[1];
        GC.KeepAlive(words);
        return seed;
    }

    /// <summary><paramref name="count"/> unit normals truncated to [-2, 2], by the inverse CDF: √2·erfinv(2u − 1), u ~ U(Φ(−2), Φ(2)).</summary>
    private static Tensor TruncatedByInverseCdf(long count, ScalarType dtype, Generator g) =>
        torch.empty(count, dtype: dtype).uniform_(CdfMinus2, CdfPlus2, g)
            .TimesInPlace(2.0).PlusInPlace(-1.0).erfinv_().TimesInPlace(Math.Sqrt(2.0)).ClampInPlace(-2.0, 2.0);

    /// <summary>
    /// Scales the variance to the number of units a weight connects, like Haiku's
    /// <c>VarianceScaling</c>: the target variance is <c>scale / n</c> with n the fan chosen by
    /// <paramref name="mode"/>.
    /// </summary>
    /// <example><code>
    /// from w in Hk.GetParam("w", [x.shape[^1], width], Initializers.VarianceScaling(2.0, FanMode.FanIn, Distribution.TruncatedNormal))   // He normal
    /// select x.matmul(w)
    /// </code></example>
    /// <param name="scale">The variance scale (1 for LeCun/Glorot, 2 for He).</param>
    /// <param name="mode">Which fan to divide by.</param>
    /// <param name="distribution">What to draw from.</param>
    /// <param name="fanInAxes">Haiku's <c>fan_in_axes</c>: for shapes of rank 3 or more, the axes whose sizes multiply to
    /// the fan-in (the other axes give the fan-out); null for the convolution rule <c>[..., in, out]</c>.</param>
    /// <returns>The initializer.</returns>
    public static Initializer VarianceScaling(double scale = 1.0, FanMode mode = FanMode.FanIn, Distribution distribution = Distribution.TruncatedNormal,
        IReadOnlyList<int>? fanInAxes = null)
    {
        if (!(scale > 0)) throw new InitializerConfigurationException(nameof(VarianceScaling), $"VarianceScaling needs a positive scale, got {scale}.");
        var axes = fanInAxes?.ToArray();
        double Variance(long[] shape)
        {
            var (fanIn, fanOut) = ComputeFans(shape, axes);
            var n = mode switch
            {
                FanMode.FanIn => fanIn,
                FanMode.FanOut => fanOut,
                _ => (fanIn + fanOut) / 2.0,
            };
            return scale / Math.Max(1.0, n);
        }
        double MaxMagnitude(long[] shape) => distribution switch
        {
            Distribution.TruncatedNormal => 2 * Math.Sqrt(Variance(shape)) / TruncatedNormalStddev,
            Distribution.Uniform => Math.Sqrt(3.0 * Variance(shape)),
            _ => double.PositiveInfinity, // a normal is unbounded: its output is scanned
        };
        return BoundedInitializer.Create(MaxMagnitude, (shape, dtype, g) =>
        {
            var variance = Variance(shape);
            return distribution switch
            {
                Distribution.TruncatedNormal => TruncatedNormal(Math.Sqrt(variance) / TruncatedNormalStddev)(shape, dtype, g),
                Distribution.Normal => RandomNormal(Math.Sqrt(variance))(shape, dtype, g),
                _ => RandomUniform(-Math.Sqrt(3.0 * variance), Math.Sqrt(3.0 * variance))(shape, dtype, g),
            };
        });
    }

    /// <summary>Glorot/Xavier uniform: <c>VarianceScaling(1, FanAvg, Uniform)</c>.</summary>
    /// <example><code>
    /// from w in Hk.GetParam("w", [x.shape[^1], width], Initializers.GlorotUniform())
    /// select x.matmul(w)
    /// </code></example>
    /// <returns>The initializer.</returns>
    public static Initializer GlorotUniform() => VarianceScaling(1.0, FanMode.FanAvg, Distribution.Uniform);

    /// <summary>Glorot/Xavier normal: <c>VarianceScaling(1, FanAvg, TruncatedNormal)</c>.</summary>
    /// <example><code>
    /// from w in Hk.GetParam("w", [x.shape[^1], width], Initializers.GlorotNormal())
    /// select x.matmul(w)
    /// </code></example>
    /// <returns>The initializer.</returns>
    public static Initializer GlorotNormal() => VarianceScaling(1.0, FanMode.FanAvg, Distribution.TruncatedNormal);

    /// <summary>He/Kaiming uniform: <c>VarianceScaling(2, FanIn, Uniform)</c>.</summary>
    /// <example><code>
    /// from w in Hk.GetParam("w", [x.shape[^1], width], Initializers.HeUniform())   // for ReLU layers
    /// select x.matmul(w)
    /// </code></example>
    /// <returns>The initializer.</returns>
    public static Initializer HeUniform() => VarianceScaling(2.0, FanMode.FanIn, Distribution.Uniform);

    /// <summary>He/Kaiming normal: <c>VarianceScaling(2, FanIn, TruncatedNormal)</c>.</summary>
    /// <example><code>
    /// from w in Hk.GetParam("w", [x.shape[^1], width], Initializers.HeNormal())   // for ReLU layers
    /// select x.matmul(w)
    /// </code></example>
    /// <returns>The initializer.</returns>
    public static Initializer HeNormal() => VarianceScaling(2.0, FanMode.FanIn, Distribution.TruncatedNormal);

    /// <summary>LeCun normal: <c>VarianceScaling(1, FanIn, TruncatedNormal)</c>.</summary>
    /// <example><code>
    /// from w in Hk.GetParam("w", [x.shape[^1], width], Initializers.LecunNormal())
    /// select x.matmul(w)
    /// </code></example>
    /// <returns>The initializer.</returns>
    public static Initializer LecunNormal() => VarianceScaling(1.0, FanMode.FanIn, Distribution.TruncatedNormal);

    /// <summary>LeCun uniform: <c>VarianceScaling(1, FanIn, Uniform)</c>.</summary>
    /// <example><code>
    /// from w in Hk.GetParam("w", [x.shape[^1], width], Initializers.LecunUniform())
    /// select x.matmul(w)
    /// </code></example>
    /// <returns>The initializer.</returns>
    public static Initializer LecunUniform() => VarianceScaling(1.0, FanMode.FanIn, Distribution.Uniform);

    /// <summary>
    /// A (semi-)orthogonal matrix times <paramref name="scale"/>, from the QR decomposition of a normal
    /// draw, over the last axis (rows are the product of the leading dimensions), as in Haiku.
    /// </summary>
    /// <example><code>
    /// from u in Hk.GetParam("u", [width, width], Initializers.Orthogonal())   // e.g. a recurrent weight
    /// select x.matmul(u)
    /// </code></example>
    /// <param name="scale">The gain.</param>
    /// <returns>The initializer.</returns>
    public static Initializer Orthogonal(double scale = 1.0) => BoundedInitializer.Create(1.01 * Math.Abs(scale), (shape, dtype, g) =>
    {
        if (shape.Length < 2)
            throw new InitializerConfigurationException(nameof(Orthogonal), $"Orthogonal needs a shape of at least 2 dimensions, got {ShapeText.Format(shape)}.");
        long cols = shape[^1], rows = 1;
        for (var i = 0; i < shape.Length - 1; i++) rows *= shape[i];
        var work = dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
        using var scope = torch.NewDisposeScope();
        var a = torch.empty(Math.Max(rows, cols), Math.Min(rows, cols), dtype: work).normal_(0.0, 1.0, g);
        var (q, r) = torch.linalg.qr(a);
        q = q.mul(r.diagonal().sign().unsqueeze(0));
        if (rows < cols) q = q.t();
        return q.reshape(shape).Times(scale).to_type(dtype).contiguous().MoveToOuterDisposeScope();
    });

    /// <summary>An identity matrix over the last two axes (broadcast over leading ones) times <paramref name="gain"/>.</summary>
    /// <example><code>
    /// from u in Hk.GetParam("u", [width, width], Initializers.Identity(gain: 0.5))
    /// select x.matmul(u)
    /// </code></example>
    /// <param name="gain">The scale of the diagonal.</param>
    /// <returns>The initializer.</returns>
    public static Initializer Identity(double gain = 1.0) => BoundedInitializer.Create(Math.Abs(gain), (shape, dtype, _) =>
    {
        if (shape.Length < 2)
            throw new InitializerConfigurationException(nameof(Identity), $"Identity needs a shape of at least 2 dimensions, got {ShapeText.Format(shape)}.");
        using var eye = torch.eye(shape[^2], shape[^1], dtype: dtype);
        using var scaled = eye.Times(gain);
        // Times (a double Scalar) promotes an integer eye to Float32; give back the dtype asked for.
        using var typed = scaled.to_type(dtype);
        return typed.expand(shape).contiguous();
    });

    /// <summary>
    /// Haiku's <c>UniformScaling</c>: uniform on <c>±scale·√(3 / input_size)</c>, with <c>input_size</c> the product of
    /// every dimension but the last (so the variance is <c>scale² / input_size</c>).
    /// </summary>
    /// <example><code>
    /// from w in Hk.GetParam("w", [x.shape[^1], width], Initializers.UniformScaling(scale: 1.0))
    /// select x.matmul(w)
    /// </code></example>
    /// <param name="scale">Multiplies the bound (positive).</param>
    /// <returns>The initializer.</returns>
    public static Initializer UniformScaling(double scale = 1.0)
    {
        if (!(scale > 0)) throw new InitializerConfigurationException(nameof(UniformScaling), $"UniformScaling needs a positive scale, got {scale}.");
        double Bound(long[] shape)
        {
            double inputSize = 1;
            for (var i = 0; i < shape.Length - 1; i++) inputSize *= shape[i];
            return Math.Sqrt(3.0 / inputSize) * scale;
        }
        return BoundedInitializer.Create(Bound, (shape, dtype, g) =>
        {
            var bound = Bound(shape);
            return RandomUniform(-bound, bound)(shape, dtype, g);
        });
    }

    /// <summary>Haiku's fan computation: (fan_in, fan_out) of a weight shape.</summary>
    /// <example><code>var (fanIn, fanOut) = Initializers.ComputeFans([3, 3, 16, 32]);   // an HWIO kernel: (144, 288)</code></example>
    /// <param name="shape">A weight shape, <c>[..., in, out]</c>.</param>
    /// <returns>The fans.</returns>
    public static (double FanIn, double FanOut) ComputeFans(IReadOnlyList<long> shape) => ComputeFans(shape, null);

    /// <summary>
    /// Haiku's fan computation with <c>fan_in_axes</c>: for rank 3 or more, fan-in is the product of the sizes on
    /// <paramref name="fanInAxes"/> (negative counts from the end) and fan-out the product of the others.
    /// </summary>
    /// <param name="shape">A weight shape.</param>
    /// <param name="fanInAxes">The fan-in axes, or null for <c>[..., in, out]</c>.</param>
    /// <returns>The fans.</returns>
    /// <exception cref="InitializerConfigurationException">An axis is outside the shape.</exception>
    public static (double FanIn, double FanOut) ComputeFans(IReadOnlyList<long> shape, IReadOnlyList<int>? fanInAxes)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (fanInAxes is not null && shape.Count > 2)
        {
            var axes = fanInAxes.Select(a => a < 0 ? a + shape.Count : a).ToArray();
            var bad = Array.FindIndex(axes, a => a < 0 || a >= shape.Count);
            if (bad >= 0)
                throw new InitializerConfigurationException("VarianceScaling", $"fanInAxes: fan-in axis {fanInAxes[bad]} is outside the shape {ShapeText.Format(shape)}. (got {fanInAxes[bad]})");
            double fanIn = 1, fanOut = 1;
            for (var i = 0; i < shape.Count; i++)
                if (axes.Contains(i)) fanIn *= shape[i];
                else fanOut *= shape[i];
            return (fanIn, fanOut);
        }
        switch (shape.Count)
        {
            case 0: return (1, 1);
            case 1: return (shape[0], shape[0]);
            case 2: return (shape[0], shape[1]);
            default:
                double receptive = 1;
                for (var i = 0; i < shape.Count - 2; i++) receptive *= shape[i];
                return (shape[^2] * receptive, shape[^1] * receptive);
        }
    }

    private static Tensor Floating(long[] shape, ScalarType dtype, Func<Tensor, Tensor> fill)
    {
        var t = torch.empty(shape, dtype: dtype);
        if (!t.is_floating_point())
        {
            t.Dispose();
            throw new InitializerConfigurationException("A random initializer", $"A random initializer needs a floating-point dtype, got {dtype}.");
        }
        return fill(t);
    }
}
