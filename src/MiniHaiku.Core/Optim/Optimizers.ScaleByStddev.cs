using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Rescales updates by the inverse of their running standard deviation (<c>optax.scale_by_stddev</c>,
    /// the centered RMSProp block): <c>mu = decay·mu + (1−decay)·g</c>, <c>nu = decay·nu + (1−decay)·g²</c>,
    /// update <c>g / sqrt(nu − mu² + eps)</c> (or <c>g / (sqrt(nu − mu²) + eps)</c> when
    /// <paramref name="epsInSqrt"/> is false). With <paramref name="biasCorrection"/>, <c>mu</c> and
    /// <c>nu</c> are divided by <c>1 − decay^t</c> first.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.ScaleByStddev(decay: 0.9), Optimizers.ScaleByLearningRate(1e-3));   // centered RMSProp</code></example>
    /// <param name="decay">The decay of both moving averages.</param>
    /// <param name="eps">Added to the variance (inside the square root) or to the standard deviation.</param>
    /// <param name="initialScale">The starting value of <c>nu</c>.</param>
    /// <param name="epsInSqrt">Whether <paramref name="eps"/> goes inside the square root (Optax's default).</param>
    /// <param name="biasCorrection">Whether to bias-correct the moments.</param>
    /// <returns>The transformation, with slots <c>mu</c> and <c>nu</c>.</returns>
    public static GradientTransformation ScaleByStddev(double decay = 0.9, double eps = 1e-8, double initialScale = 0, bool epsInSqrt = true, bool biasCorrection = false) =>
        new(p => OptState.WithSlots(("mu", p.ZerosLike()), ("nu", p.FullLike(initialScale))), (grads, s, _) =>
        {
            var count = s.Count + 1;
            var mu = MapWithSlots(grads, s.Slot("mu"), "mu", (g, m) => m.Times(decay).PlusScaledInPlace(g, 1 - decay));
            var nu = MapWithSlots(grads, s.Slot("nu"), "nu", (g, v) => v.Times(decay).AddcmulInPlace(g, g, 1 - decay));
            var correction = biasCorrection ? 1 - Math.Pow(decay, count) : 1;
            var updates = grads.Map((path, g) =>
            {
                using var scope = torch.NewDisposeScope();
                var m = mu[path].DividedBy(correction);
                var variance = nu[path].DividedBy(correction).Minus(m.Squared());
                var denominator = epsInSqrt ? variance.PlusInPlace(eps).sqrt_() : variance.sqrt_().PlusInPlace(eps);
                return g.div(denominator).MoveToOuterDisposeScope();
            });
            return (updates, s with { Count = count, Slots = s.Slots.SetItem("mu", mu).SetItem("nu", nu) });
        });
}
