using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// Spectral normalisation of every tensor of a <see cref="Params"/> (Haiku's <c>hk.SNParamsTree</c>). One
/// <see cref="SpectralNorm"/> per path, named like Haiku's: the path with <c>/</c> → <c>__</c> and <c>~</c> →
/// <c>_tilde</c>. Vectors (biases) cannot be normalised: exclude them with <c>ignoreRegex</c>, e.g. <c>".*/b$"</c>.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="Eps">Added under the square root when normalising.</param>
/// <param name="NSteps">Power-iteration steps per call.</param>
/// <param name="IgnoreRegex">Paths matching this at their start are passed through; empty for none.</param>
/// <example>
/// <code>
/// // Needs Hk.TransformWithState: every matrix of the tree divided by its largest singular value.
/// return from sn in SNParamsTree.Create()
///        from normalized in sn.Call(Params.Create([KeyValuePair.Create("~/w", x)]))
///        select normalized["~/w"];
/// </code>
/// </example>
public sealed record SNParamsTree(ModuleName Name, double Eps, int NSteps, string IgnoreRegex) : Module(Name)
{
    /// <summary>Creates the normaliser.</summary>
    /// <param name="eps">Added under the square root when normalising.</param>
    /// <param name="nSteps">Power-iteration steps per call.</param>
    /// <param name="ignoreRegex">Paths to pass through; empty for none.</param>
    /// <param name="name">An explicit module name, or null for <c>SNParamsTree_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="LayerConfigurationException">A non-positive eps or step count, or an invalid regular expression.</exception>
    public static Model<SNParamsTree> Create(double eps = 1e-4, int nSteps = 1, string ignoreRegex = "", string? name = null)
    {
        SpectralNorm.Validate(nameof(SNParamsTree), eps, nSteps);
        ParamsTreeNames.ValidateRegex(nameof(SNParamsTree), ignoreRegex);
        return Hk.Module(n => new SNParamsTree(n, eps, nSteps, ignoreRegex ?? ""), name);
    }

    /// <summary>Normalises every (non-ignored) tensor of <paramref name="tree"/>.</summary>
    /// <param name="tree">The parameters.</param>
    /// <param name="updateStats">Whether to update the power-iteration state.</param>
    /// <returns>A model producing the normalised tensors, at the same paths.</returns>
    /// <exception cref="LayerInputException">A non-ignored tensor is a scalar or a vector.</exception>
    public Model<Params> Call(Params tree, bool updateStats = true)
    {
        ArgumentNullException.ThrowIfNull(tree);
        return Method(Hk.Aggregate(tree, Params.Empty, (acc, kv) =>
            ParamsTreeNames.Ignored(IgnoreRegex, kv.Key)
                ? Hk.Pure(acc.With(kv.Key, kv.Value))
                : from sn in SpectralNorm.Create(Eps, NSteps, name: ParamsTreeNames.Of(kv.Key, "_tilde"))
                  from normalized in sn.Call(kv.Value, updateStats)
                  select acc.With(kv.Key, normalized)));
    }
}
