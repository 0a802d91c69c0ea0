using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Adamax's rescaling (<c>optax.scale_by_adamax</c>): <c>m = b1 m + (1-b1) g</c>, the infinity norm
    /// <c>u = max(|g| + eps, b2 u)</c>, update <c>m / (1 - b1^t) / u</c>.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.ScaleByAdamax(), Optimizers.ScaleByLearningRate(2e-3));</code></example>
    /// <param name="b1">The decay of the first moment.</param>
    /// <param name="b2">The decay of the infinity norm.</param>
    /// <param name="eps">Added to <c>|g|</c>.</param>
    /// <returns>The transformation, with slots <c>mu</c> and <c>nu</c>.</returns>
    public static GradientTransformation ScaleByAdamax(double b1 = 0.9, double b2 = 0.999, double eps = 1e-8) =>
        new(p => OptState.WithSlots(("mu", p.ZerosLike()), ("nu", p.ZerosLike())), (grads, s, _) =>
        {
            var count = s.Count + 1;
            var c1 = BiasCorrection(b1, count);
            var (updates, state) = MapSlots(grads, s, ["mu", "nu"], (_, g, slots) =>
            {
                var mu = Ema(slots[0], g, b1);
                using var absolute = g.abs().PlusInPlace(eps);
                using var decayed = slots[1].Times(b2);
                var nu = torch.maximum(absolute, decayed);
                using var muHat = mu.DividedBy(c1);
                return (muHat.div(nu), [mu, nu]);
            });
            return (updates, state with { Count = count });
        });

    /// <summary>Adamax (<c>optax.adamax</c>; the same steps as <c>torch.optim.Adamax</c>).</summary>
    /// <example><code>var opt = Optimizers.Adamax(2e-3);</code></example>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>.</param>
    /// <param name="b1">The decay of the first moment.</param>
    /// <param name="b2">The decay of the infinity norm.</param>
    /// <param name="eps">Added to <c>|g|</c>.</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation Adamax(Schedule learningRate, double b1 = 0.9, double b2 = 0.999, double eps = 1e-8) =>
        Chain(ScaleByAdamax(b1, b2, eps), ScaleByLearningRate(learningRate));

    /// <summary>Adamax with decoupled weight decay (<c>optax.adamaxw</c>). Pass the parameters to <c>Update</c>.</summary>
    /// <example><code>var opt = Optimizers.AdamaxW(2e-3, weightDecay: 1e-4);</code></example>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>.</param>
    /// <param name="b1">The decay of the first moment.</param>
    /// <param name="b2">The decay of the infinity norm.</param>
    /// <param name="eps">Added to <c>|g|</c>.</param>
    /// <param name="weightDecay">The decoupled weight decay coefficient.</param>
    /// <param name="mask">Selects by path the parameters that are decayed (null: all).</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation AdamaxW(Schedule learningRate, double b1 = 0.9, double b2 = 0.999, double eps = 1e-8,
        double weightDecay = 1e-4, Func<string, bool>? mask = null) =>
        WithDecayAndLearningRate(ScaleByAdamax(b1, b2, eps), weightDecay, mask, learningRate);
}
