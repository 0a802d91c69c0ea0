using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Adagrad's rescaling by the root of the summed squares (<c>optax.scale_by_rss</c>):
    /// <c>s = s + g²</c> (starting at <paramref name="initialAccumulatorValue"/>), update
    /// <c>g / sqrt(s + eps)</c>, or 0 where <c>s</c> is 0.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.ScaleByRss(), Optimizers.ScaleByLearningRate(0.1));</code></example>
    /// <param name="initialAccumulatorValue">The starting value of <c>s</c>.</param>
    /// <param name="eps">Added inside the square root.</param>
    /// <returns>The transformation, with slot <c>sum_of_squares</c>.</returns>
    public static GradientTransformation ScaleByRss(double initialAccumulatorValue = 0.1, double eps = 1e-7) =>
        new(p => OptState.WithSlots(("sum_of_squares", p.FullLike(initialAccumulatorValue))), (grads, s, _) =>
            MapSlots(grads, s, ["sum_of_squares"], (_, g, slots) =>
            {
                var sum = slots[0].clone().AddcmulInPlace(g, g, 1.0);
                using var positive = sum.GreaterThan(0);
                using var root = sum.Plus(eps).sqrt_();
                using var scaled = g.div(root);
                using var zero = torch.zeros_like(scaled);
                return (torch.where(positive, scaled, zero), [sum]);
            }));

    /// <summary>Adagrad's rescaling; renamed <see cref="ScaleByRss"/> (Optax's name), which it calls.</summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.ScaleByAdagrad(), Optimizers.ScaleByLearningRate(0.1));</code></example>
    /// <param name="initialAccumulatorValue">The starting value of the sum of squares.</param>
    /// <param name="eps">Added inside the square root.</param>
    /// <returns>The transformation, with slot <c>sum_of_squares</c>.</returns>
    [Obsolete("Use ScaleByRss (optax.scale_by_rss). Note: eps is now inside the square root and the defaults are Optax's.")]
    public static GradientTransformation ScaleByAdagrad(double initialAccumulatorValue = 0.1, double eps = 1e-7) =>
        ScaleByRss(initialAccumulatorValue, eps);

    /// <summary>
    /// Adagrad (<c>optax.adagrad</c>): <see cref="ScaleByRss"/> then the learning rate. Optax's
    /// defaults (initial accumulator 0.1, <c>eps</c> 1e-7 inside the square root); with <c>eps: 0</c> the
    /// same steps as <c>torch.optim.Adagrad</c> with <c>eps = 0</c> and no learning-rate decay.
    /// </summary>
    /// <example><code>var opt = Optimizers.Adagrad(0.1);</code></example>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>.</param>
    /// <param name="initialAccumulatorValue">The starting value of the sum of squares.</param>
    /// <param name="eps">Added inside the square root.</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation Adagrad(Schedule learningRate, double initialAccumulatorValue = 0.1, double eps = 1e-7) =>
        Chain(ScaleByRss(initialAccumulatorValue, eps), ScaleByLearningRate(learningRate));
}
