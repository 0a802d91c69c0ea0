using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// AMSGrad's rescaling (<c>optax.scale_by_amsgrad</c>): Adam's moments, with the running maximum
    /// <c>ν_max = max(ν_max, ν̂)</c> of the (bias-corrected) second moment in the denominator:
    /// update <c>m̂ / (sqrt(ν_max + epsRoot) + eps)</c>.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.ScaleByAmsGrad(), Optimizers.ScaleByLearningRate(1e-3));</code></example>
    /// <param name="b1">The decay of the first moment.</param>
    /// <param name="b2">The decay of the second moment.</param>
    /// <param name="eps">Added to the denominator outside the square root.</param>
    /// <param name="epsRoot">Added inside the square root.</param>
    /// <param name="biasCorrectionMu">Divide the first moment by <c>1 - b1^t</c>.</param>
    /// <param name="biasCorrectionNu">Divide the second moment by <c>1 - b2^t</c> before taking the maximum.</param>
    /// <returns>The transformation, with slots <c>mu</c>, <c>nu</c> and <c>nu_max</c>.</returns>
    public static GradientTransformation ScaleByAmsGrad(double b1 = 0.9, double b2 = 0.999, double eps = 1e-8, double epsRoot = 0,
        bool biasCorrectionMu = true, bool biasCorrectionNu = true) =>
        new(p => OptState.WithSlots(("mu", p.ZerosLike()), ("nu", p.ZerosLike()), ("nu_max", p.ZerosLike())), (grads, s, _) =>
        {
            var count = s.Count + 1;
            var c1 = biasCorrectionMu ? BiasCorrection(b1, count) : 1.0;
            var c2 = biasCorrectionNu ? BiasCorrection(b2, count) : 1.0;
            var (updates, state) = MapSlots(grads, s, ["mu", "nu", "nu_max"], (_, g, slots) =>
            {
                var mu = Ema(slots[0], g, b1);
                var nu = EmaSquare(slots[1], g, b2);
                using var nuEffective = nu.DividedBy(c2);
                var nuMax = torch.maximum(slots[2], nuEffective);
                using var muHat = mu.DividedBy(c1);
                using var denominator = nuMax.Plus(epsRoot).sqrt_().PlusInPlace(eps);
                return (muHat.div(denominator), [mu, nu, nuMax]);
            });
            return (updates, state with { Count = count });
        });

    /// <summary>
    /// AMSGrad (<c>optax.amsgrad</c>): Adam whose denominator never decreases. Optax takes the maximum of
    /// the bias-corrected second moment; <c>torch.optim.Adam(amsgrad: true)</c> takes the maximum of the
    /// raw one and corrects after (the same steps as <c>biasCorrectionNu: false</c> with the learning
    /// rate multiplied by <c>sqrt(1 - b2^t)</c>).
    /// </summary>
    /// <example><code>var opt = Optimizers.AmsGrad(1e-3);</code></example>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>.</param>
    /// <param name="b1">The decay of the first moment.</param>
    /// <param name="b2">The decay of the second moment.</param>
    /// <param name="eps">Added to the denominator outside the square root.</param>
    /// <param name="epsRoot">Added inside the square root.</param>
    /// <param name="biasCorrectionMu">Divide the first moment by <c>1 - b1^t</c>.</param>
    /// <param name="biasCorrectionNu">Divide the second moment by <c>1 - b2^t</c> before taking the maximum.</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation AmsGrad(Schedule learningRate, double b1 = 0.9, double b2 = 0.999, double eps = 1e-8, double epsRoot = 0,
        bool biasCorrectionMu = true, bool biasCorrectionNu = true) =>
        Chain(ScaleByAmsGrad(b1, b2, eps, epsRoot, biasCorrectionMu, biasCorrectionNu), ScaleByLearningRate(learningRate));
}
