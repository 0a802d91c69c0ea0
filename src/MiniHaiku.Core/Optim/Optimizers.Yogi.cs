using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Yogi's rescaling (<c>optax.scale_by_yogi</c>): <c>m = b1 m + (1-b1) g</c>,
    /// <c>v = v - (1-b2) sign(v - g²) g²</c> (both starting at <paramref name="initialAccumulatorValue"/>),
    /// update <c>m̂ / (sqrt(v̂ + epsRoot) + eps)</c>, bias-corrected as Adam.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.ScaleByYogi(), Optimizers.ScaleByLearningRate(1e-2));</code></example>
    /// <param name="b1">The decay of the first moment.</param>
    /// <param name="b2">The rate of the additive second-moment update.</param>
    /// <param name="eps">Added to the denominator outside the square root.</param>
    /// <param name="epsRoot">Added inside the square root.</param>
    /// <param name="initialAccumulatorValue">The starting value of both moments.</param>
    /// <returns>The transformation, with slots <c>mu</c> and <c>nu</c>.</returns>
    public static GradientTransformation ScaleByYogi(double b1 = 0.9, double b2 = 0.999, double eps = 1e-3, double epsRoot = 0, double initialAccumulatorValue = 1e-6) =>
        new(p => OptState.WithSlots(("mu", p.FullLike(initialAccumulatorValue)), ("nu", p.FullLike(initialAccumulatorValue))), (grads, s, _) =>
        {
            var count = s.Count + 1;
            var c1 = BiasCorrection(b1, count);
            var c2 = BiasCorrection(b2, count);
            var (updates, state) = MapSlots(grads, s, ["mu", "nu"], (_, g, slots) =>
            {
                var mu = Ema(slots[0], g, b1);
                using var square = g.Squared();
                using var sign = slots[1].Minus(square).sign_();
                using var step = sign.mul_(square);
                var nu = slots[1].PlusScaled(step, -(1 - b2));
                using var muHat = mu.DividedBy(c1);
                using var denominator = nu.DividedBy(c2).PlusInPlace(epsRoot).sqrt_().PlusInPlace(eps);
                return (muHat.div(denominator), [mu, nu]);
            });
            return (updates, state with { Count = count });
        });

    /// <summary>Yogi (<c>optax.yogi</c>): Adam with an additive, sign-controlled second moment.</summary>
    /// <example><code>var opt = Optimizers.Yogi(1e-2);</code></example>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>.</param>
    /// <param name="b1">The decay of the first moment.</param>
    /// <param name="b2">The rate of the second-moment update.</param>
    /// <param name="eps">Added to the denominator outside the square root.</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation Yogi(Schedule learningRate, double b1 = 0.9, double b2 = 0.999, double eps = 1e-3) =>
        Chain(ScaleByYogi(b1, b2, eps), ScaleByLearningRate(learningRate));
}
