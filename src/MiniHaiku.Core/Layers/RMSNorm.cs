using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// Root-mean-square normalisation (Haiku's <c>hk.RMSNorm</c>): <c>x / √(mean(x²) + eps) · scale</c>
/// over <see cref="Axes"/>, with <c>scale</c> of shape <c>[last axis]</c> (default ones). No centring. With another
/// <see cref="ParamAxis"/> the scale has the input's sizes on those axes and 1 elsewhere, as in Haiku. Without
/// <see cref="CreateScale"/>, a scale can be given at call time (conditional normalisation).
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="Axes">The axes to average over.</param>
/// <param name="CreateScale">Whether to learn <c>scale</c>.</param>
/// <param name="Eps">Added to the mean square.</param>
/// <param name="ScaleInit">The initializer of <c>scale</c>; null for ones.</param>
/// <param name="ParamAxis">Haiku's <c>param_axis</c>: the axes the scale varies along; null for the last.</param>
/// <example>
/// <code>
/// return RMSNorm.Create().Call(x);        // x / √(mean(x²) + eps) · scale, over the last axis
/// </code>
/// </example>
public sealed record RMSNorm(ModuleName Name, IReadOnlyList<int> Axes, bool CreateScale, double Eps, Initializer? ScaleInit,
    IReadOnlyList<int>? ParamAxis = null) : Layer(Name)
{
    /// <summary>Creates an RMS normalisation.</summary>
    /// <param name="axes">The axes to average over; default <c>[-1]</c>.</param>
    /// <param name="createScale">Whether to learn a scale.</param>
    /// <param name="eps">Added to the mean square (positive).</param>
    /// <param name="scaleInit">The initializer of <c>scale</c>.</param>
    /// <param name="paramAxis">Haiku's <c>param_axis</c>: the axes the scale varies along; default the last, <c>[-1]</c>.</param>
    /// <param name="name">An explicit module name, or null for <c>RMSNorm_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<RMSNorm> Create(IReadOnlyList<int>? axes = null, bool createScale = true, double eps = 1e-5,
        Initializer? scaleInit = null, IReadOnlyList<int>? paramAxis = null, string? name = null)
    {
        Normalization.RequireAxes(nameof(RMSNorm), axes);
        Normalization.RequireAxes(nameof(RMSNorm), paramAxis);
        Normalization.RequirePositive(nameof(RMSNorm), eps);
        NormalizationInitChecks.Require(nameof(RMSNorm), createScale, scaleInit);
        var a = axes?.ToArray() ?? [-1];
        var pa = paramAxis?.ToArray();
        return Hk.Module(n => new RMSNorm(n, a, createScale, eps, scaleInit, pa), name);
    }

    /// <summary>Normalises <paramref name="x"/>.</summary>
    /// <param name="x">The input.</param>
    /// <returns>A model producing the normalised input, same shape.</returns>
    protected override Model<Tensor> Forward(Tensor x) => Body(x, null);

    /// <summary>Normalises <paramref name="x"/> with a scale given at call time (conditional normalisation).</summary>
    /// <param name="x">The input.</param>
    /// <param name="scale">Multiplies the normalised input (broadcast, same dtype); only without <see cref="CreateScale"/>. Null for none.</param>
    /// <returns>A model producing the normalised input, same shape.</returns>
    /// <exception cref="LayerInputException">Bad axes, or a given scale that is also learned or does not fit the input.</exception>
    public Model<Tensor> Call(Tensor x, Tensor? scale)
    {
        ArgumentNullException.ThrowIfNull(x);
        return Method(Body(x, scale), x);
    }

    private Model<Tensor> Body(Tensor x, Tensor? scale)
    {
        LayerChecks.RequireFloatingInput(Name.Path, nameof(RMSNorm), x);
        var axes = Normalization.Axes(Name.Path, nameof(RMSNorm), x, Axes);
        if (x.dim() == 0) throw new LayerInputException(Name.Path, "RMSNorm needs an input with at least one axis.");
        var shape = NormalizationParams.Shape(Name.Path, nameof(RMSNorm), x, ParamAxis ?? [-1]);
        return
            from s in NormalizationParams.LearnedOrGiven(Name.Path, nameof(RMSNorm), "scale", CreateScale, scale, shape, ScaleInit ?? Initializers.Ones(), x)
            select NormalizationParams.Affine(x.mul(torch.rsqrt(x.Squared().mean(axes, keepdim: true).Plus(Eps))), s, null);
    }
}

public static partial class LayerExtensions
{
    /// <summary>Creates the RMS normalisation and calls it with a scale given at call time.</summary>
    /// <param name="norm">The model creating the module.</param>
    /// <param name="x">The input.</param>
    /// <param name="scale">The scale, or null.</param>
    /// <returns>A model producing the output.</returns>
    public static Model<Tensor> Call(this Model<RMSNorm> norm, Tensor x, Tensor? scale)
    {
        ArgumentNullException.ThrowIfNull(norm);
        return norm.SelectMany(n => n.Call(x, scale));
    }
}
