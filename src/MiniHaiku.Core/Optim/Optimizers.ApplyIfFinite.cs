namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Applies <paramref name="inner"/> only when every gradient element is finite (<c>optax.apply_if_finite</c>):
    /// otherwise the updates are zero and the inner state is kept, unless more than
    /// <paramref name="maxConsecutiveErrors"/> non-finite steps came in a row (then the update is applied
    /// anyway). The state holds numbers <c>notfinite_count</c>, <c>last_finite</c> (1 or 0) and
    /// <c>total_notfinite</c>, and the inner state.
    /// </summary>
    /// <example><code>var opt = Optimizers.ApplyIfFinite(Optimizers.Adam(1e-3), maxConsecutiveErrors: 5);   // skips steps with NaN/Inf gradients</code></example>
    /// <param name="inner">The transformation to protect.</param>
    /// <param name="maxConsecutiveErrors">How many non-finite steps in a row are skipped.</param>
    /// <returns>The transformation.</returns>
    public static GradientTransformation ApplyIfFinite(GradientTransformation inner, int maxConsecutiveErrors)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (maxConsecutiveErrors < 0) throw new OptimizerConfigurationException("ApplyIfFinite", $"maxConsecutiveErrors: must not be negative. (got {maxConsecutiveErrors})");
        return GradientTransformation.WithExtraArgs(
            p => OptState.Of([inner.InitFunction(p)]).WithNumber("notfinite_count", 0).WithNumber("last_finite", 1).WithNumber("total_notfinite", 0),
            (grads, s, p, extra) =>
            {
                RequireInner(s, 1, nameof(ApplyIfFinite));
                var finite = AllFinite(grads);
                var notFiniteCount = finite ? 0 : s.Number("notfinite_count") + 1;
                var (updates, innerState) = finite || notFiniteCount > maxConsecutiveErrors
                    ? inner.UpdateWithExtraArgs(grads, s.Inner[0], p, extra)
                    : (grads.ZerosLike(), s.Inner[0]);
                return (updates, s with
                {
                    Inner = [innerState],
                    Numbers = s.Numbers.SetItem("notfinite_count", notFiniteCount).SetItem("last_finite", finite ? 1 : 0)
                        .SetItem("total_notfinite", s.Number("total_notfinite") + (finite ? 0 : 1)),
                });
            });
    }
}
