using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// Layer normalisation (Haiku's <c>hk.LayerNorm</c>): subtracts the mean and divides by
/// <c>√(variance + eps)</c> over <see cref="Axes"/>, then applies <c>scale</c> and <c>offset</c> of shape
/// <c>[last axis]</c> (Haiku's default <c>param_axis = -1</c>; defaults ones and zeros).
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="Axes">The axes to normalise over (negative counts from the end).</param>
/// <param name="CreateScale">Whether to learn <c>scale</c>.</param>
/// <param name="CreateOffset">Whether to learn <c>offset</c>.</param>
/// <param name="Eps">Added to the variance.</param>
/// <param name="ScaleInit">The initializer of <c>scale</c>; null for ones.</param>
/// <param name="OffsetInit">The initializer of <c>offset</c>; null for zeros.</param>
public sealed record LayerNorm(ModuleName Name, IReadOnlyList<int> Axes, bool CreateScale, bool CreateOffset, double Eps,
    Initializer? ScaleInit, Initializer? OffsetInit) : Module(Name)
{
    /// <summary>Creates a layer normalisation.</summary>
    /// <param name="axes">The axes to normalise over; default the last, <c>[-1]</c>.</param>
    /// <param name="createScale">Whether to learn a scale.</param>
    /// <param name="createOffset">Whether to learn an offset.</param>
    /// <param name="eps">Added to the variance (positive).</param>
    /// <param name="scaleInit">The initializer of <c>scale</c>.</param>
    /// <param name="offsetInit">The initializer of <c>offset</c>.</param>
    /// <param name="name">An explicit module name, or null for <c>LayerNorm_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<LayerNorm> Create(IReadOnlyList<int>? axes = null, bool createScale = true, bool createOffset = true, double eps = 1e-5,
        Initializer? scaleInit = null, Initializer? offsetInit = null, string? name = null)
    {
        Normalization.RequireAxes(nameof(LayerNorm), axes);
        Normalization.RequirePositive(nameof(LayerNorm), eps);
        NormalizationInitChecks.Require(nameof(LayerNorm), createScale, scaleInit, createOffset, offsetInit);
        var a = axes?.ToArray() ?? [-1];
        return Hk.Module(n => new LayerNorm(n, a, createScale, createOffset, eps, scaleInit, offsetInit), name);
    }

    /// <summary>Normalises <paramref name="x"/>.</summary>
    /// <param name="x">The input.</param>
    /// <returns>A model producing the normalised input, same shape.</returns>
    public Model<Tensor> Call(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var axes = Normalization.Axes(Name.Path, nameof(LayerNorm), x, Axes);
        var rank = x.dim();
        if (rank == 0) throw new LayerInputException(Name.Path, "LayerNorm needs an input with at least one axis.");
        var size = x.shape[^1];
        var dtype = x.dtype;
        return Method(
            from scale in Normalization.Optional(CreateScale, "scale", size, ScaleInit ?? Initializers.Ones(), dtype)
            from offset in Normalization.Optional(CreateOffset, "offset", size, OffsetInit ?? Initializers.Zeros(), dtype)
            select Normalization.Affine(Normalize(x, axes, Eps), scale, offset, rank - 1, rank));
    }

    internal static Tensor Normalize(Tensor x, long[] axes, double eps)
    {
        var mean = x.mean(axes, keepdim: true);
        var centered = x - mean;
        var variance = centered.square().mean(axes, keepdim: true);
        return centered * torch.rsqrt(variance + eps);
    }
}

public static partial class LayerExtensions
{
    /// <summary>Creates the layer normalisation and calls it.</summary>
    /// <param name="norm">The model creating the module.</param>
    /// <param name="x">The input.</param>
    /// <returns>A model producing the output.</returns>
    public static Model<Tensor> Call(this Model<LayerNorm> norm, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(norm);
        return norm.SelectMany(n => n.Call(x));
    }
}
