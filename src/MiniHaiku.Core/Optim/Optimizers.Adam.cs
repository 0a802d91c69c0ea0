using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Adam's rescaling (<c>optax.scale_by_adam</c>): <c>m = b1 m + (1-b1) g</c>,
    /// <c>v = b2 v + (1-b2) g²</c>, update <c>m̂ / (sqrt(v̂) + eps)</c> with bias-corrected
    /// <c>m̂ = m / (1 - b1^t)</c>, <c>v̂ = v / (1 - b2^t)</c>.
    /// </summary>
    /// <param name="b1">The decay of the first moment.</param>
    /// <param name="b2">The decay of the second moment.</param>
    /// <param name="eps">Added to the denominator.</param>
    /// <returns>The transformation, with slots <c>mu</c> and <c>nu</c>.</returns>
    public static GradientTransformation ScaleByAdam(double b1 = 0.9, double b2 = 0.999, double eps = 1e-8) =>
        new(p => OptState.WithSlots(("mu", p.ZerosLike()), ("nu", p.ZerosLike())), (grads, s, _) =>
        {
            var count = s.Count + 1;
            var c1 = 1 - Math.Pow(b1, count);
            var c2 = Math.Sqrt(1 - Math.Pow(b2, count));
            // Few, fused kernels; in-place ops only on tensors created here (inputs stay untouched).
            // Scalars are kept alive explicitly for the native calls (TorchSharp 0.107 can collect
            // implicit Scalar temporaries during the call).
            using var b1Scalar = b1.ToScalar();
            using var oneMinusB1 = (1 - b1).ToScalar();
            using var b2Scalar = b2.ToScalar();
            using var oneMinusB2 = (1 - b2).ToScalar();
            // m̂ / (sqrt(v̂) + eps) = m / (c1 / c2 · sqrt(v) + c1 · eps)
            using var sqrtFactor = (c1 / c2).ToScalar();
            using var epsTerm = (c1 * eps).ToScalar();
            var mu = MapWithSlots(grads, s.Slot("mu"), "mu", (g, m) => m.mul(b1Scalar).add_(g, oneMinusB1));
            var nu = MapWithSlots(grads, s.Slot("nu"), "nu", (g, v) => v.mul(b2Scalar).addcmul_(g, g, oneMinusB2));
            var updates = mu.Map((path, m) => m.div(nu[path].sqrt().mul_(sqrtFactor).add_(epsTerm)));
            return (updates, new OptState(count, s.Slots.SetItem("mu", mu).SetItem("nu", nu), s.Inner));
        });

    /// <summary>Adam (<c>optax.adam</c>; the same steps as <c>torch.optim.Adam</c> without weight decay).</summary>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>.</param>
    /// <param name="b1">The decay of the first moment.</param>
    /// <param name="b2">The decay of the second moment.</param>
    /// <param name="eps">Added to the denominator.</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation Adam(Schedule learningRate, double b1 = 0.9, double b2 = 0.999, double eps = 1e-8) =>
        Chain(ScaleByAdam(b1, b2, eps), ScaleByLearningRate(learningRate));

    /// <summary>
    /// Adam with decoupled weight decay (<c>optax.adamw</c>; the same steps as <c>torch.optim.AdamW</c>):
    /// <c>p -= lr * (adam + weightDecay * p)</c>. Pass the parameters to <c>Update</c>.
    /// </summary>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>.</param>
    /// <param name="b1">The decay of the first moment.</param>
    /// <param name="b2">The decay of the second moment.</param>
    /// <param name="eps">Added to the denominator.</param>
    /// <param name="weightDecay">The decoupled weight decay coefficient.</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation AdamW(Schedule learningRate, double b1 = 0.9, double b2 = 0.999, double eps = 1e-8, double weightDecay = 1e-2) =>
        Chain(ScaleByAdam(b1, b2, eps), AddDecayedWeights(weightDecay), ScaleByLearningRate(learningRate));
}
