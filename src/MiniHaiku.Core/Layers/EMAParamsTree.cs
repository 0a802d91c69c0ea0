using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// Moving averages of every tensor of a <see cref="Params"/> (Haiku's <c>hk.EMAParamsTree</c>), e.g. for
/// Polyak-averaged weights at evaluation. One <see cref="ExponentialMovingAverage"/> per path, named like
/// Haiku's: the path with <c>/</c> → <c>__</c> and <c>~</c> → <c>_tilde_</c>; its state lives under
/// <c>{path of this module}/__call__/{that name}/__call__/</c>.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="Decay">The decay in [0, 1].</param>
/// <param name="ZeroDebias">Whether to zero-debias.</param>
/// <param name="WarmupLength">Calls with decay 0 first.</param>
/// <param name="IgnoreRegex">Paths matching this regular expression at their start (Python's <c>re.match</c>) are
/// passed through without averaging; empty for none.</param>
/// <example>
/// <code>
/// // Needs Hk.TransformWithState: one moving average per path of the tree.
/// return from ema in EMAParamsTree.Create(0.999)
///        from averaged in ema.Call(Params.Create([KeyValuePair.Create("~/w", x)]))
///        select averaged["~/w"];
/// </code>
/// </example>
public sealed record EMAParamsTree(ModuleName Name, double Decay, bool ZeroDebias, int WarmupLength, string IgnoreRegex) : Module(Name)
{
    /// <summary>Creates the averager.</summary>
    /// <param name="decay">The decay in [0, 1].</param>
    /// <param name="zeroDebias">Whether to zero-debias (default true).</param>
    /// <param name="warmupLength">Calls with decay 0 first.</param>
    /// <param name="ignoreRegex">Paths to pass through, e.g. <c>".*/b$"</c>; empty for none.</param>
    /// <param name="name">An explicit module name, or null for <c>EMAParamsTree_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="LayerConfigurationException">Bad decay or warm-up, or an invalid regular expression.</exception>
    public static Model<EMAParamsTree> Create(double decay, bool zeroDebias = true, int warmupLength = 0, string ignoreRegex = "", string? name = null)
    {
        ExponentialMovingAverage.Validate(nameof(EMAParamsTree), decay, zeroDebias, warmupLength);
        ParamsTreeNames.ValidateRegex(nameof(EMAParamsTree), ignoreRegex);
        return Hk.Module(n => new EMAParamsTree(n, decay, zeroDebias, warmupLength, ignoreRegex ?? ""), name);
    }

    /// <summary>Averages every tensor of <paramref name="tree"/>.</summary>
    /// <param name="tree">The parameters (or any <see cref="Params"/>).</param>
    /// <param name="updateStats">Whether to update the averages' state.</param>
    /// <returns>A model producing the averages, at the same paths.</returns>
    public Model<Params> Call(Params tree, bool updateStats = true)
    {
        ArgumentNullException.ThrowIfNull(tree);
        return Method(Hk.Aggregate(tree, Params.Empty, (acc, kv) =>
            ParamsTreeNames.Ignored(IgnoreRegex, kv.Key)
                ? Hk.Pure(acc.With(kv.Key, kv.Value))
                : from ema in ExponentialMovingAverage.Create(Decay, ZeroDebias, WarmupLength, name: ParamsTreeNames.Of(kv.Key, "_tilde_"))
                  from average in ema.Call(kv.Value, updateStats)
                  select acc.With(kv.Key, average)));
    }
}

/// <summary>Haiku's module names and ignore patterns for <see cref="EMAParamsTree"/> and <see cref="SNParamsTree"/>.</summary>
internal static class ParamsTreeNames
{
    public static string Of(string path, string tilde) => path.Replace("/", "__", StringComparison.Ordinal).Replace("~", tilde, StringComparison.Ordinal);

    public static bool Ignored(string pattern, string path) =>
        pattern.Length > 0 && Regex.IsMatch(path, @"\A(?:" + pattern + ")", RegexOptions.CultureInvariant);

    public static void ValidateRegex(string layer, string? pattern)
    {
        if (string.IsNullOrEmpty(pattern)) return;
        try
        {
            _ = new Regex(pattern);
        }
        catch (ArgumentException e)
        {
            throw new LayerConfigurationException(layer, $"ignoreRegex '{pattern}' is not a valid regular expression: {e.Message}");
        }
    }
}
