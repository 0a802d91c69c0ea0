using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// AdaBelief's rescaling (<c>optax.scale_by_belief</c>): <c>m = b1 m + (1-b1) g</c>,
    /// <c>s = b2 s + (1-b2) (g - m)² + epsRoot</c>, update <c>m̂ / (sqrt(ŝ) + eps)</c> (bias-corrected
    /// as Adam; <paramref name="nesterov"/> as <see cref="ScaleByAdam"/>).
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.ScaleByBelief(), Optimizers.ScaleByLearningRate(1e-3));</code></example>
    /// <param name="b1">The decay of the first moment.</param>
    /// <param name="b2">The decay of the belief (variance of the prediction error).</param>
    /// <param name="eps">Added to the denominator outside the square root.</param>
    /// <param name="epsRoot">Added to the belief at every step (inside the square root).</param>
    /// <param name="nesterov">Use Nesterov momentum.</param>
    /// <returns>The transformation, with slots <c>mu</c> and <c>nu</c>.</returns>
    public static GradientTransformation ScaleByBelief(double b1 = 0.9, double b2 = 0.999, double eps = 1e-16, double epsRoot = 1e-16, bool nesterov = false) =>
        new(p => OptState.WithSlots(("mu", p.ZerosLike()), ("nu", p.ZerosLike())), (grads, s, _) =>
        {
            var count = s.Count + 1;
            var c1 = BiasCorrection(b1, count);
            var c1Next = BiasCorrection(b1, count + 1);
            var c2 = BiasCorrection(b2, count);
            var (updates, state) = MapSlots(grads, s, ["mu", "nu"], (_, g, slots) =>
            {
                var mu = Ema(slots[0], g, b1);
                using var error = g.Minus(mu);
                var nu = EmaSquare(slots[1], error, b2).PlusInPlace(epsRoot);
                using var muHat = nesterov ? mu.Times(b1 / c1Next).PlusScaledInPlace(g, (1 - b1) / c1) : mu.DividedBy(c1);
                using var denominator = nu.DividedBy(c2).sqrt_().PlusInPlace(eps);
                return (muHat.div(denominator), [mu, nu]);
            });
            return (updates, state with { Count = count });
        });

    /// <summary>AdaBelief (<c>optax.adabelief</c>), with optional decoupled weight decay.</summary>
    /// <example><code>var opt = Optimizers.AdaBelief(1e-3);</code></example>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>.</param>
    /// <param name="b1">The decay of the first moment.</param>
    /// <param name="b2">The decay of the belief.</param>
    /// <param name="eps">Added to the denominator outside the square root.</param>
    /// <param name="epsRoot">Added to the belief at every step.</param>
    /// <param name="weightDecay">Decoupled weight decay; null (Optax's default) for none.</param>
    /// <param name="weightDecayMask">Selects by path the parameters that are decayed (null: all).</param>
    /// <param name="nesterov">Use Nesterov momentum.</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation AdaBelief(Schedule learningRate, double b1 = 0.9, double b2 = 0.999, double eps = 1e-16, double epsRoot = 1e-16,
        double? weightDecay = null, Func<string, bool>? weightDecayMask = null, bool nesterov = false) =>
        weightDecay is { } wd
            ? WithDecayAndLearningRate(ScaleByBelief(b1, b2, eps, epsRoot, nesterov), wd, weightDecayMask, learningRate)
            : Chain(ScaleByBelief(b1, b2, eps, epsRoot, nesterov), ScaleByLearningRate(learningRate));
}
