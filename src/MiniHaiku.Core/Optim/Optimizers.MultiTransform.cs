using System.Collections.Immutable;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Applies a different transformation to each group of parameters (<c>optax.partition</c>, formerly
    /// <c>optax.multi_transform</c>): <paramref name="paramLabels"/> maps each path to a label, and the
    /// parameters with label <c>L</c> are updated by <c>transforms[L]</c> alone. The state holds one inner
    /// state per label (sorted), named by label: <c>state.InnerState("adam")</c>.
    /// </summary>
    /// <param name="transforms">The transformation of each label.</param>
    /// <param name="paramLabels">Maps a parameter path to its label.</param>
    /// <returns>The transformation.</returns>
    /// <exception cref="MiniHaikuException">A parameter's label has no transformation.</exception>
    /// <example><code>
    /// var opt = Optimizers.MultiTransform(
    ///     new Dictionary&lt;string, GradientTransformation&gt; { ["decay"] = Optimizers.AdamW(1e-3), ["plain"] = Optimizers.Adam(1e-3) },
    ///     path => path.EndsWith("/b") ? "plain" : "decay");
    /// </code></example>
    public static GradientTransformation MultiTransform(IReadOnlyDictionary<string, GradientTransformation> transforms, Func<string, string> paramLabels)
    {
        ArgumentNullException.ThrowIfNull(transforms);
        ArgumentNullException.ThrowIfNull(paramLabels);
        var ts = transforms.ToImmutableSortedDictionary(StringComparer.Ordinal);
        foreach (var (label, t) in ts)
            if (t is null) throw new ArgumentNullException(nameof(transforms), $"The transformation of label '{label}' is null.");
        var labels = ts.Keys.ToImmutableList();

        Func<string, bool> Has(string label, Params tree)
        {
            foreach (var path in tree.Keys)
            {
                var l = paramLabels(path);
                if (l is null || !ts.ContainsKey(l))
                    throw new OptimizerConfigurationException("MultiTransform", $"parameter '{path}' has label '{l}', which has no transformation (labels: [{string.Join(", ", labels)}]).");
            }
            return path => paramLabels(path) == label;
        }

        return GradientTransformation.WithExtraArgs(
            p => OptState.Of(labels.Select(l => ts[l].InitFunction(p.Where(Has(l, p))))) with { InnerNames = labels },
            (grads, s, p, extra) =>
            {
                RequireInner(s, labels.Count, nameof(MultiTransform));
                var result = grads;
                var states = new OptState[labels.Count];
                for (var i = 0; i < labels.Count; i++)
                {
                    var isMine = Has(labels[i], grads);
                    var (u, st) = ts[labels[i]].UpdateWithExtraArgs(grads.Where(isMine), s.Inner[i], p?.Where(isMine), extra);
                    result = result.Merge(u);
                    states[i] = st;
                }
                return (result, OptState.Of(states) with { InnerNames = labels });
            });
    }

    /// <summary>The same as <see cref="MultiTransform"/> under Optax's newer name <c>optax.partition</c>.</summary>
    /// <example><code>
    /// var opt = Optimizers.Partition(
    ///     new Dictionary&lt;string, GradientTransformation> { ["train"] = Optimizers.Adam(1e-3), ["frozen"] = Optimizers.SetToZero() },
    ///     path => path.StartsWith("~/encoder/") ? "frozen" : "train");
    /// </code></example>
    /// <param name="transforms">The transformation of each label.</param>
    /// <param name="paramLabels">Maps a parameter path to its label.</param>
    /// <returns>The transformation.</returns>
    public static GradientTransformation Partition(IReadOnlyDictionary<string, GradientTransformation> transforms, Func<string, string> paramLabels) =>
        MultiTransform(transforms, paramLabels);

    /// <summary>
    /// <see cref="Chain"/> with a name per transformation (<c>optax.named_chain</c>): the inner states can be
    /// found by name, <c>state.InnerState("clip")</c>.
    /// </summary>
    /// <example><code>
    /// var opt = Optimizers.NamedChain(("clip", Optimizers.ClipByGlobalNorm(1.0)), ("adam", Optimizers.Adam(1e-3)));
    /// OptState adamState = opt.Init(p).InnerState("adam");
    /// </code></example>
    /// <param name="transformations">Name and transformation pairs; names must be unique.</param>
    /// <returns>The transformation.</returns>
    /// <exception cref="OptimizerConfigurationException">A name repeats.</exception>
    public static GradientTransformation NamedChain(params (string Name, GradientTransformation Transformation)[] transformations)
    {
        ArgumentNullException.ThrowIfNull(transformations);
        var names = transformations.Select(t => t.Name ?? throw new ArgumentNullException(nameof(transformations), "A name is null.")).ToImmutableList();
        var duplicate = names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new OptimizerConfigurationException("MultiTransform", $"NamedChain: the name '{duplicate.Key}' is used twice; names must be unique.");
        var chain = Chain(transformations.Select(t => t.Transformation).ToArray());
        return GradientTransformation.WithExtraArgs(
            p => chain.InitFunction(p) with { InnerNames = names },
            (g, s, p, extra) =>
            {
                var (u, st) = chain.UpdateWithExtraArgs(g, s, p, extra);
                return (u, st with { InnerNames = names });
            });
    }
}
