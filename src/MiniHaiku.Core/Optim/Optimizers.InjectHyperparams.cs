using System.Collections.Immutable;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Keeps an optimizer's hyper-parameters in its state, so they can be read and changed between steps
    /// (<c>optax.inject_hyperparams</c>). <paramref name="innerFactory"/> builds the optimizer from the
    /// current values (it must give states of the same structure for any values). Numeric
    /// hyper-parameters start at <paramref name="hyperparams"/> and keep whatever value the state holds;
    /// scheduled ones are recomputed from the step count at every update. Read them with
    /// <c>state.Number("learning_rate")</c>, change them with <c>state.WithNumber("learning_rate", 1e-4)</c>.
    /// </summary>
    /// <param name="innerFactory">Builds the optimizer from hyper-parameter values by name.</param>
    /// <param name="hyperparams">Numeric hyper-parameters and their initial values.</param>
    /// <param name="schedules">Scheduled hyper-parameters, or null.</param>
    /// <returns>The transformation; its state holds the count, one number per hyper-parameter and the inner state.</returns>
    /// <exception cref="OptimizerConfigurationException">A name appears in both dictionaries.</exception>
    /// <example><code>
    /// var opt = Optimizers.InjectHyperparams(h => Optimizers.Adam(h["learning_rate"]),
    ///     new Dictionary&lt;string, double&gt; { ["learning_rate"] = 1e-3 });
    /// optState = optState.WithNumber("learning_rate", 1e-4); // takes effect at the next Update
    /// </code></example>
    public static GradientTransformation InjectHyperparams(
        Func<IReadOnlyDictionary<string, double>, GradientTransformation> innerFactory,
        IReadOnlyDictionary<string, double> hyperparams,
        IReadOnlyDictionary<string, Schedule>? schedules = null)
    {
        ArgumentNullException.ThrowIfNull(innerFactory);
        ArgumentNullException.ThrowIfNull(hyperparams);
        var numeric = hyperparams.ToImmutableSortedDictionary(StringComparer.Ordinal);
        var scheduled = (schedules ?? new Dictionary<string, Schedule>()).ToImmutableSortedDictionary(StringComparer.Ordinal);
        foreach (var name in numeric.Keys.Where(scheduled.ContainsKey))
            throw new OptimizerConfigurationException("InjectHyperparams", $"Hyper-parameter '{name}' is given both as a number and as a schedule.");

        ImmutableSortedDictionary<string, double> ValuesAt(long count, IReadOnlyDictionary<string, double> numbers) =>
            numeric.Keys.Select(k => KeyValuePair.Create(k, numbers.TryGetValue(k, out var v) ? v
                    : throw new OptimizerStateException($"InjectHyperparams: the state has no hyper-parameter '{k}'; it was made by a different optimizer.")))
                .Concat(scheduled.Select(kv => KeyValuePair.Create(kv.Key, kv.Value.ValueAt(count))))
                .ToImmutableSortedDictionary(StringComparer.Ordinal);

        return GradientTransformation.WithExtraArgs(
            p =>
            {
                var values = ValuesAt(0, numeric);
                return OptState.Of([innerFactory(values).InitFunction(p)]) with { Numbers = values };
            },
            (grads, s, p, extra) =>
            {
                RequireInner(s, 1, nameof(InjectHyperparams));
                var values = ValuesAt(s.Count, s.Numbers);
                var (updates, innerState) = innerFactory(values).UpdateWithExtraArgs(grads, s.Inner[0], p, extra);
                return (updates, s with { Count = s.Count + 1, Numbers = values, Inner = [innerState] });
            });
    }
}
