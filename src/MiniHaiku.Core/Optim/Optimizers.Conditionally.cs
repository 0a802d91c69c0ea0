namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Calls <paramref name="inner"/> only at the steps where <paramref name="shouldTransformFn"/> is true
    /// (<c>optax.conditionally_mask</c>); at the other steps the updates are zero and the inner state is kept.
    /// The state holds the number <c>step</c> (counting every call from 0) and the inner state.
    /// </summary>
    /// <example><code>var opt = Optimizers.ConditionallyMask(Optimizers.Sgd(0.1), step => step >= 1_000);   // zero updates before step 1000</code></example>
    /// <param name="inner">The transformation.</param>
    /// <param name="shouldTransformFn">Maps the step to whether to call <paramref name="inner"/>.</param>
    /// <returns>The transformation.</returns>
    public static GradientTransformation ConditionallyMask(GradientTransformation inner, Func<long, bool> shouldTransformFn) =>
        Conditionally(inner, shouldTransformFn, zeroWhenSkipped: true, nameof(ConditionallyMask));

    /// <summary>
    /// Like <see cref="ConditionallyMask"/>, but at the skipped steps the updates pass through unchanged
    /// (<c>optax.conditionally_transform</c>).
    /// </summary>
    /// <example><code>var opt = Optimizers.ConditionallyTransform(Optimizers.Scale(0.5), step => step % 2 == 0);   // other steps pass gradients through</code></example>
    /// <param name="inner">The transformation.</param>
    /// <param name="shouldTransformFn">Maps the step to whether to call <paramref name="inner"/>.</param>
    /// <returns>The transformation.</returns>
    public static GradientTransformation ConditionallyTransform(GradientTransformation inner, Func<long, bool> shouldTransformFn) =>
        Conditionally(inner, shouldTransformFn, zeroWhenSkipped: false, nameof(ConditionallyTransform));

    private static GradientTransformation Conditionally(GradientTransformation inner, Func<long, bool> shouldTransformFn, bool zeroWhenSkipped, string who)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(shouldTransformFn);
        return GradientTransformation.WithExtraArgs(
            p => OptState.Of([inner.InitFunction(p)]).WithNumber("step", 0),
            (grads, s, p, extra) =>
            {
                RequireInner(s, 1, who);
                var step = (long)s.Number("step");
                var (updates, innerState) = shouldTransformFn(step)
                    ? inner.UpdateWithExtraArgs(grads, s.Inner[0], p, extra)
                    : (zeroWhenSkipped ? grads.ZerosLike() : grads, s.Inner[0]);
                return (updates, s with { Inner = [innerState], Numbers = s.Numbers.SetItem("step", step + 1) });
            });
    }
}
