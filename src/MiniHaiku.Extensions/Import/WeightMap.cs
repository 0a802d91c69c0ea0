using System.Collections.Immutable;

namespace MiniHaiku.Import;

/// <summary>
/// A rename map from a weight file's entry names to MiniHaiku parameter paths: an ordered list of rules, the first
/// that matches an entry wins. An entry no rule matches is skipped (see <see cref="Identity"/> for a map that keeps
/// names). Immutable: each method returns a new map.
/// </summary>
/// <example>
/// <code>
/// // A PyTorch state_dict of nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)):
/// var map = WeightMap.Empty
///     .TorchModule("0", "~/hidden/__call__")
///     .TorchModule("2", "~/logits/__call__");
/// // A Haiku .npz: names matched automatically against the model's parameters.
/// var haiku = WeightMap.Haiku(parameters);
/// </code>
/// </example>
public sealed class WeightMap
{
    private readonly ImmutableList<Func<string, WeightTarget?>> rules;
    private readonly ImmutableList<Func<string, bool>> skips;

    private WeightMap(ImmutableList<Func<string, WeightTarget?>> rules, ImmutableList<Func<string, bool>> skips)
    {
        this.rules = rules;
        this.skips = skips;
    }

    /// <summary>The map with no rules: every entry is skipped until rules are added.</summary>
    public static WeightMap Empty { get; } = new([], []);

    /// <summary>Every entry goes to the parameter of the same name, as it is (for files written from MiniHaiku or with its names).</summary>
    public static WeightMap Identity { get; } = Empty.Custom(name => new WeightTarget(name));

    /// <summary>Adds a rule sending the entry <paramref name="source"/> to <paramref name="target"/>.</summary>
    /// <param name="source">The entry name in the file.</param>
    /// <param name="target">The parameter path.</param>
    /// <param name="layout">The layout conversion.</param>
    /// <returns>The extended map.</returns>
    public WeightMap Rename(string source, string target, WeightLayout layout = WeightLayout.AsIs)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        return Custom(name => name == source ? new WeightTarget(target, layout) : null);
    }

    /// <summary>Adds a rule replacing the prefix <paramref name="sourcePrefix"/> of entry names with <paramref name="targetPrefix"/>.</summary>
    /// <param name="sourcePrefix">E.g. <c>encoder/~/</c>.</param>
    /// <param name="targetPrefix">E.g. <c>~/Encoder_0/__call__/</c>.</param>
    /// <param name="layout">The layout conversion.</param>
    /// <returns>The extended map.</returns>
    public WeightMap RenamePrefix(string sourcePrefix, string targetPrefix, WeightLayout layout = WeightLayout.AsIs)
    {
        ArgumentNullException.ThrowIfNull(sourcePrefix);
        ArgumentNullException.ThrowIfNull(targetPrefix);
        return Custom(name => name.StartsWith(sourcePrefix, StringComparison.Ordinal)
            ? new WeightTarget(targetPrefix + name[sourcePrefix.Length..], layout)
            : null);
    }

    /// <summary>
    /// Adds the rules for one PyTorch <c>nn.Linear</c> or <c>nn.ConvNd</c> module of a <c>state_dict</c>:
    /// <c>{torchModule}.weight</c> → <c>{miniHaikuModule}/w</c> in Haiku's layout (transposed <c>[out, in]</c> →
    /// <c>[in, out]</c>, or OIHW → HWIO), and <c>{torchModule}.bias</c> → <c>{miniHaikuModule}/b</c>.
    /// </summary>
    /// <param name="torchModule">The module's key in the state dict, e.g. <c>fc1</c> or <c>features.0</c>.</param>
    /// <param name="miniHaikuModule">The module's parameter scope, e.g. <c>~/Linear_0/__call__</c>.</param>
    /// <returns>The extended map.</returns>
    public WeightMap TorchModule(string torchModule, string miniHaikuModule)
    {
        ArgumentNullException.ThrowIfNull(torchModule);
        ArgumentNullException.ThrowIfNull(miniHaikuModule);
        var scope = miniHaikuModule.TrimEnd('/');
        return Rename(torchModule + ".weight", scope + "/w", WeightLayout.TorchAuto)
            .Rename(torchModule + ".bias", scope + "/b");
    }

    /// <summary>Adds a rule that skips (reports as skipped, never loads) every entry starting with <paramref name="sourcePrefix"/>; skips win over every rule.</summary>
    /// <param name="sourcePrefix">E.g. <c>optimizer/</c>, or a full entry name.</param>
    /// <returns>The extended map.</returns>
    public WeightMap Skip(string sourcePrefix)
    {
        ArgumentNullException.ThrowIfNull(sourcePrefix);
        return new WeightMap(rules, skips.Add(name => name.StartsWith(sourcePrefix, StringComparison.Ordinal)));
    }

    /// <summary>Adds a rule given as a function: it returns the target of an entry name, or null when it does not apply.</summary>
    /// <param name="rule">The rule.</param>
    /// <returns>The extended map.</returns>
    public WeightMap Custom(Func<string, WeightTarget?> rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return new WeightMap(rules.Add(rule), skips);
    }

    /// <summary>
    /// A map that sends Haiku names (<c>mlp/~/linear_0/w</c>) to the parameter of <paramref name="target"/> with the
    /// same normal form (<see cref="HaikuNames"/>), such as <c>~/MLP_0/__call__/Linear_0/__call__/w</c>; layouts stay
    /// as they are (Haiku and MiniHaiku agree). Two model paths with one normal form are left out (never guessed).
    /// </summary>
    /// <param name="target">The model's parameters (e.g. from <c>Init</c>).</param>
    /// <param name="sourcePrefix">A prefix to drop from the file's names first (e.g. an outer Haiku module <c>my_model/~/</c>); names without it are skipped.</param>
    /// <param name="targetPrefix">A prefix of the model paths to match under (e.g. <c>~/Encoder_0/__call__/</c>); others are ignored.</param>
    /// <returns>The map.</returns>
    public static WeightMap Haiku(IEnumerable<string> target, string sourcePrefix = "", string targetPrefix = "")
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(sourcePrefix);
        ArgumentNullException.ThrowIfNull(targetPrefix);
        var byKey = target.Where(p => p.StartsWith(targetPrefix, StringComparison.Ordinal))
            .GroupBy(p => HaikuNames.NormalizeMiniHaiku(targetPrefix.Length == 0 ? p : "~/" + p[targetPrefix.Length..]), StringComparer.Ordinal)
            .Where(g => g.Count() == 1)
            .ToDictionary(g => g.Key, g => g.Single(), StringComparer.Ordinal);
        return Empty.Custom(name =>
            name.StartsWith(sourcePrefix, StringComparison.Ordinal)
            && byKey.TryGetValue(HaikuNames.NormalizeHaiku(name[sourcePrefix.Length..]), out var path)
                ? new WeightTarget(path)
                : null);
    }

    /// <summary>The map of <see cref="Haiku(IEnumerable{string}, string, string)"/> for the keys of <paramref name="target"/>.</summary>
    /// <param name="target">The model's parameters.</param>
    /// <returns>The map.</returns>
    public static WeightMap Haiku(Params target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return Haiku(target.Keys);
    }

    /// <summary>Where the entry <paramref name="source"/> goes.</summary>
    /// <param name="source">The entry name in the file.</param>
    /// <returns>The target, or null when the entry is skipped (no rule applies, or a skip rule does).</returns>
    public WeightTarget? Resolve(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (skips.Any(s => s(source))) return null;
        foreach (var rule in rules)
            if (rule(source) is { } t) return t;
        return null;
    }

    /// <summary>Whether a skip rule matches <paramref name="source"/>.</summary>
    internal bool IsSkipped(string source) => skips.Any(s => s(source));
}
