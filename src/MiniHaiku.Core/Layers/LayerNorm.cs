using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// Layer normalisation (Haiku's <c>hk.LayerNorm</c>): subtracts the mean and divides by
/// <c>√(variance + eps)</c> over <see cref="Axes"/>, then applies <c>scale</c> and <c>offset</c> of shape
/// <c>[last axis]</c> (Haiku's default <c>param_axis = -1</c>; defaults ones and zeros). With another
/// <see cref="ParamAxis"/> they have the input's sizes on those axes and 1 elsewhere, as in Haiku. Without
/// <see cref="CreateScale"/>/<see cref="CreateOffset"/>, a scale and offset can be given at call time
/// (conditional normalisation, Haiku's <c>scale=</c>/<c>offset=</c>).
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="Axes">The axes to normalise over (negative counts from the end).</param>
/// <param name="CreateScale">Whether to learn <c>scale</c>.</param>
/// <param name="CreateOffset">Whether to learn <c>offset</c>.</param>
/// <param name="Eps">Added to the variance.</param>
/// <param name="ScaleInit">The initializer of <c>scale</c>; null for ones.</param>
/// <param name="OffsetInit">The initializer of <c>offset</c>; null for zeros.</param>
/// <param name="ParamAxis">Haiku's <c>param_axis</c>: the axes the scale and offset vary along; null for the last.</param>
/// <example>
/// <code>
/// // Conditional layer norm of x [N, F]: the scale and offset computed from x itself.
/// var width = (int)x.shape[^1];
/// return from s in Linear.Create(width).Call(x)
///        from o in Linear.Create(width).Call(x)
///        from y in LayerNorm.Create(createScale: false, createOffset: false).Call(x, scale: s, offset: o)
///        select y;
/// </code>
/// </example>
public sealed record LayerNorm(ModuleName Name, IReadOnlyList<int> Axes, bool CreateScale, bool CreateOffset, double Eps,
    Initializer? ScaleInit, Initializer? OffsetInit, IReadOnlyList<int>? ParamAxis = null) : Layer(Name)
{
    /// <summary>Creates a layer normalisation.</summary>
    /// <param name="axes">The axes to normalise over; default the last, <c>[-1]</c>.</param>
    /// <param name="createScale">Whether to learn a scale.</param>
    /// <param name="createOffset">Whether to learn an offset.</param>
    /// <param name="eps">Added to the variance (positive).</param>
    /// <param name="scaleInit">The initializer of <c>scale</c>.</param>
    /// <param name="offsetInit">The initializer of <c>offset</c>.</param>
    /// <param name="paramAxis">Haiku's <c>param_axis</c>: the axes the scale and offset vary along; default the last, <c>[-1]</c>.</param>
    /// <param name="name">An explicit module name, or null for <c>LayerNorm_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<LayerNorm> Create(IReadOnlyList<int>? axes = null, bool createScale = true, bool createOffset = true, double eps = 1e-5,
        Initializer? scaleInit = null, Initializer? offsetInit = null, IReadOnlyList<int>? paramAxis = null, string? name = null)
    {
        Normalization.RequireAxes(nameof(LayerNorm), axes);
        Normalization.RequireAxes(nameof(LayerNorm), paramAxis);
        Normalization.RequirePositive(nameof(LayerNorm), eps);
        NormalizationInitChecks.Require(nameof(LayerNorm), createScale, scaleInit, createOffset, offsetInit);
        var a = axes?.ToArray() ?? [-1];
        var pa = paramAxis?.ToArray();
        return Hk.Module(n => new LayerNorm(n, a, createScale, createOffset, eps, scaleInit, offsetInit, pa), name);
    }

    /// <summary>Normalises <paramref name="x"/>.</summary>
    /// <param name="x">The input.</param>
    /// <returns>A model producing the normalised input, same shape.</returns>
    protected override Model<Tensor> Forward(Tensor x) => Body(x, null, null);

    /// <summary>Normalises <paramref name="x"/> with a scale and offset given at call time (conditional normalisation).</summary>
    /// <param name="x">The input.</param>
    /// <param name="scale">Multiplies the normalised input (broadcast to its shape, same dtype); only without <see cref="CreateScale"/>. Null for none.</param>
    /// <param name="offset">Added after the scale (broadcast, same dtype); only without <see cref="CreateOffset"/>. Null for none.</param>
    /// <returns>A model producing the normalised input, same shape.</returns>
    /// <exception cref="LayerInputException">Bad axes, or a given scale/offset that is also learned or does not fit the input.</exception>
    public Model<Tensor> Call(Tensor x, Tensor? scale, Tensor? offset)
    {
        ArgumentNullException.ThrowIfNull(x);
        return Method(Body(x, scale, offset), x);
    }

    private Model<Tensor> Body(Tensor x, Tensor? scale, Tensor? offset)
    {
        LayerChecks.RequireFloatingInput(Name.Path, nameof(LayerNorm), x);
        var axes = Normalization.Axes(Name.Path, nameof(LayerNorm), x, Axes);
        if (x.dim() == 0) throw new LayerInputException(Name.Path, "LayerNorm needs an input with at least one axis.");
        var shape = NormalizationParams.Shape(Name.Path, nameof(LayerNorm), x, ParamAxis ?? [-1]);
        return
            from s in NormalizationParams.LearnedOrGiven(Name.Path, nameof(LayerNorm), "scale", CreateScale, scale, shape, ScaleInit ?? Initializers.Ones(), x)
            from o in NormalizationParams.LearnedOrGiven(Name.Path, nameof(LayerNorm), "offset", CreateOffset, offset, shape, OffsetInit ?? Initializers.Zeros(), x)
            select NormalizeAndScale(x, axes, Eps, s, o);
    }

    /// <summary>
    /// <c>Normalize(x)·scale + offset</c>. When the axes are the trailing ones and each of scale and offset is absent
    /// or has exactly their shape (the default: one axis, parameters <c>[C]</c>), this is libtorch's fused
    /// <c>layer_norm</c> (the same maths: biased variance, <c>1/√(variance + eps)</c>), one kernel forward and backward
    /// instead of nine elementwise ones.
    /// </summary>
    private static Tensor NormalizeAndScale(Tensor x, long[] axes, double eps, Tensor? scale, Tensor? offset)
    {
        if (TrailingShape(x, axes) is { } normalized && FitsExactly(scale, normalized) && FitsExactly(offset, normalized))
            return nn.functional.layer_norm(x, normalized, scale, offset, eps);
        return NormalizationParams.Affine(Normalize(x, axes, eps), scale, offset);
    }

    private static bool FitsExactly(Tensor? t, long[] shape) => t is null || t.shape.AsSpan().SequenceEqual(shape);

    /// <summary>The sizes of the normalised axes when they are the last <c>axes.Length</c> axes of <paramref name="x"/> (in any order); else null.</summary>
    private static long[]? TrailingShape(Tensor x, long[] axes)
    {
        var shape = x.shape;
        var first = shape.Length - axes.Length;
        foreach (var a in axes)
            if (a < first) return null; // axes are distinct and in range, so all ≥ first means exactly the trailing ones
        return shape[first..];
    }

    internal static Tensor Normalize(Tensor x, long[] axes, double eps)
    {
        if (TrailingShape(x, axes) is { } normalized) return nn.functional.layer_norm(x, normalized, eps: eps);
        var mean = x.mean(axes, keepdim: true);
        var centered = x.Minus(mean);
        var variance = centered.Squared().mean(axes, keepdim: true);
        return centered * torch.rsqrt(variance.Plus(eps));
    }
}

public static partial class LayerExtensions
{
    /// <summary>Creates the layer normalisation and calls it with a scale and offset given at call time.</summary>
    /// <param name="norm">The model creating the module.</param>
    /// <param name="x">The input.</param>
    /// <param name="scale">The scale, or null.</param>
    /// <param name="offset">The offset, or null.</param>
    /// <returns>A model producing the output.</returns>
    public static Model<Tensor> Call(this Model<LayerNorm> norm, Tensor x, Tensor? scale, Tensor? offset)
    {
        ArgumentNullException.ThrowIfNull(norm);
        return norm.SelectMany(n => n.Call(x, scale, offset));
    }
}
