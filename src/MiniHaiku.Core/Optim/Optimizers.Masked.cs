using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Applies <paramref name="inner"/> only to the parameters whose path satisfies
    /// <paramref name="mask"/> (<c>optax.masked</c>); the others' gradients pass through unchanged.
    /// The inner state covers the masked parameters only.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.Masked(Optimizers.AddDecayedWeights(1e-4), path => path.EndsWith("/w")), Optimizers.Sgd(0.1));</code></example>
    /// <param name="inner">The transformation for the selected parameters.</param>
    /// <param name="mask">Selects parameters by path.</param>
    /// <returns>The transformation.</returns>
    public static GradientTransformation Masked(GradientTransformation inner, Func<string, bool> mask)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(mask);
        return GradientTransformation.WithExtraArgs(
            p => OptState.Of([inner.InitFunction(p.Where(mask))]),
            (grads, s, p, extra) =>
            {
                if (s.Inner.Count != 1) throw new OptimizerStateException("Masked got a state made by a different optimizer.");
                var (updates, innerState) = inner.UpdateWithExtraArgs(grads.Where(mask), s.Inner[0], p?.Where(mask), extra);
                return (grads.Merge(updates), OptState.Of([innerState]));
            });
    }

    /// <summary>
    /// Trains every parameter with <paramref name="inner"/> except those whose path satisfies
    /// <paramref name="isFrozen"/>, which get zero updates (and no optimizer state).
    /// </summary>
    /// <example><code>var opt = Optimizers.Frozen(Optimizers.Adam(1e-3), isFrozen: path => path.StartsWith("~/encoder/"));   // zero updates there</code></example>
    /// <param name="inner">The optimizer for the trainable parameters.</param>
    /// <param name="isFrozen">Selects the parameters to freeze by path.</param>
    /// <returns>The transformation.</returns>
    public static GradientTransformation Frozen(GradientTransformation inner, Func<string, bool> isFrozen)
    {
        ArgumentNullException.ThrowIfNull(isFrozen);
        return Chain(Masked(inner, path => !isFrozen(path)), Masked(SetToZero(), isFrozen));
    }
}
