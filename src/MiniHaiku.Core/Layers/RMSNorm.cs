using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// Root-mean-square normalisation (Haiku's <c>hk.RMSNorm</c>): <c>x / √(mean(x²) + eps) · scale</c>
/// over <see cref="Axes"/>, with <c>scale</c> of shape <c>[last axis]</c> (default ones). No centring.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="Axes">The axes to average over.</param>
/// <param name="CreateScale">Whether to learn <c>scale</c>.</param>
/// <param name="Eps">Added to the mean square.</param>
/// <param name="ScaleInit">The initializer of <c>scale</c>; null for ones.</param>
public sealed record RMSNorm(ModuleName Name, IReadOnlyList<int> Axes, bool CreateScale, double Eps, Initializer? ScaleInit) : Module(Name)
{
    /// <summary>Creates an RMS normalisation.</summary>
    /// <param name="axes">The axes to average over; default <c>[-1]</c>.</param>
    /// <param name="createScale">Whether to learn a scale.</param>
    /// <param name="eps">Added to the mean square (positive).</param>
    /// <param name="scaleInit">The initializer of <c>scale</c>.</param>
    /// <param name="name">An explicit module name, or null for <c>RMSNorm_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<RMSNorm> Create(IReadOnlyList<int>? axes = null, bool createScale = true, double eps = 1e-5,
        Initializer? scaleInit = null, string? name = null)
    {
        Normalization.RequireAxes(nameof(RMSNorm), axes);
        Normalization.RequirePositive(nameof(RMSNorm), eps);
        NormalizationInitChecks.Require(nameof(RMSNorm), createScale, scaleInit);
        var a = axes?.ToArray() ?? [-1];
        return Hk.Module(n => new RMSNorm(n, a, createScale, eps, scaleInit), name);
    }

    /// <summary>Normalises <paramref name="x"/>.</summary>
    /// <param name="x">The input.</param>
    /// <returns>A model producing the normalised input, same shape.</returns>
    public Model<Tensor> Call(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var axes = Normalization.Axes(Name.Path, nameof(RMSNorm), x, Axes);
        var rank = x.dim();
        if (rank == 0) throw new LayerInputException(Name.Path, "RMSNorm needs an input with at least one axis.");
        return Method(
            from scale in Normalization.Optional(CreateScale, "scale", x.shape[^1], ScaleInit ?? Initializers.Ones(), x.dtype)
            select Normalization.Affine(x * torch.rsqrt(x.square().mean(axes, keepdim: true) + Eps), scale, null, rank - 1, rank));
    }
}

public static partial class LayerExtensions
{
    /// <summary>Creates the RMS normalisation and calls it.</summary>
    /// <param name="norm">The model creating the module.</param>
    /// <param name="x">The input.</param>
    /// <returns>A model producing the output.</returns>
    public static Model<Tensor> Call(this Model<RMSNorm> norm, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(norm);
        return norm.SelectMany(n => n.Call(x));
    }
}
