using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Adam's rescaling (<c>optax.scale_by_adam</c>): <c>m = b1 m + (1-b1) g</c>,
    /// <c>v = b2 v + (1-b2) g²</c>, update <c>m̂ / (sqrt(v̂ + epsRoot) + eps)</c> with bias-corrected
    /// <c>m̂ = m / (1 - b1^t)</c>, <c>v̂ = v / (1 - b2^t)</c>. With <paramref name="nesterov"/> (NAdam),
    /// <c>m̂ = b1 m / (1 - b1^(t+1)) + (1 - b1) g / (1 - b1^t)</c>.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.ClipByGlobalNorm(1.0), Optimizers.ScaleByAdam(), Optimizers.ScaleByLearningRate(1e-3));</code></example>
    /// <param name="b1">The decay of the first moment.</param>
    /// <param name="b2">The decay of the second moment.</param>
    /// <param name="eps">Added to the denominator outside the square root.</param>
    /// <param name="epsRoot">Added inside the square root.</param>
    /// <param name="nesterov">Use Nesterov momentum (NAdam).</param>
    /// <returns>The transformation, with slots <c>mu</c> and <c>nu</c>.</returns>
    public static GradientTransformation ScaleByAdam(double b1 = 0.9, double b2 = 0.999, double eps = 1e-8, double epsRoot = 0, bool nesterov = false) =>
        new GradientTransformation(p => OptState.WithSlots(("mu", p.ZerosLike()), ("nu", p.ZerosLike())), (grads, s, _) =>
        {
            var count = s.Count + 1;
            var c1 = BiasCorrection(b1, count);
            var c2 = BiasCorrection(b2, count);
            // Few, fused kernels; in-place ops only on tensors created here (inputs stay untouched).
            // Scalars are kept alive explicitly for the native calls (TorchSharp 0.107 can collect
            // implicit Scalar temporaries during the call).
            using var b1Scalar = b1.ToScalar();
            using var oneMinusB1 = (1 - b1).ToScalar();
            using var b2Scalar = b2.ToScalar();
            using var oneMinusB2 = (1 - b2).ToScalar();
            var mu = MapWithSlots(grads, s.Slot("mu"), "mu", (g, m) => m.mul(b1Scalar).add_(g, oneMinusB1));
            var nu = MapWithSlots(grads, s.Slot("nu"), "nu", (g, v) => v.mul(b2Scalar).addcmul_(g, g, oneMinusB2));
            Params updates;
            if (!nesterov && epsRoot == 0)
            {
                // m̂ / (sqrt(v̂) + eps) = m / (c1 / sqrt(c2) · sqrt(v) + c1 · eps)
                using var sqrtFactor = (c1 / Math.Sqrt(c2)).ToScalar();
                using var epsTerm = (c1 * eps).ToScalar();
                updates = mu.Map((path, m) => m.div(nu[path].sqrt().mul_(sqrtFactor).add_(epsTerm, SafeOps.One)));
            }
            else
            {
                var nextC1 = BiasCorrection(b1, count + 1);
                updates = grads.Map((path, g) =>
                {
                    using var muHat = nesterov
                        ? mu[path].Times(b1 / nextC1).PlusScaledInPlace(g, (1 - b1) / c1)
                        : mu[path].DividedBy(c1);
                    using var denominator = nu[path].DividedBy(c2).PlusInPlace(epsRoot).sqrt_().PlusInPlace(eps);
                    return muHat.div(denominator);
                });
            }
            return (updates, new OptState(count, s.Slots.SetItem("mu", mu).SetItem("nu", nu), s.Inner));
        }).WithFlat(new FlatAdam(b1, b2, eps, epsRoot, nesterov));

    /// <summary>Adam (<c>optax.adam</c>; the same steps as <c>torch.optim.Adam</c> without weight decay).</summary>
    /// <example><code>
    /// var opt = Optimizers.Adam(1e-3);   // or a schedule: Optimizers.Adam(Schedule.WarmupCosineDecay(0, 1e-3, 1_000, 100_000))
    /// var optState = opt.Init(p);
    /// </code></example>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>.</param>
    /// <param name="b1">The decay of the first moment.</param>
    /// <param name="b2">The decay of the second moment.</param>
    /// <param name="eps">Added to the denominator outside the square root.</param>
    /// <param name="epsRoot">Added inside the square root.</param>
    /// <param name="nesterov">Use Nesterov momentum (then this is <see cref="NAdam"/>).</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation Adam(Schedule learningRate, double b1 = 0.9, double b2 = 0.999, double eps = 1e-8, double epsRoot = 0, bool nesterov = false) =>
        Chain(ScaleByAdam(b1, b2, eps, epsRoot, nesterov), ScaleByLearningRate(learningRate));

    /// <summary>
    /// Adam with decoupled weight decay (<c>optax.adamw</c>; the same steps as <c>torch.optim.AdamW</c>):
    /// <c>p -= lr * (adam + weightDecay * p)</c>. Pass the parameters to <c>Update</c>.
    /// </summary>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>.</param>
    /// <param name="b1">The decay of the first moment.</param>
    /// <param name="b2">The decay of the second moment.</param>
    /// <param name="eps">Added to the denominator outside the square root.</param>
    /// <param name="epsRoot">Added inside the square root.</param>
    /// <param name="weightDecay">The decoupled weight decay coefficient (Optax's default 1e-4; torch's is 1e-2).</param>
    /// <param name="mask">Selects by path the parameters that are decayed (null: all), e.g.
    /// <c>path =&gt; !path.EndsWith("/b")</c>; <see cref="PathMask"/> turns a map of Bool tensors into one.
    /// Adam itself applies to every parameter.</param>
    /// <param name="nesterov">Use Nesterov momentum (then this is <see cref="NAdamW"/>).</param>
    /// <returns>The optimizer.</returns>
    /// <example><code>var opt = Optimizers.AdamW(1e-3, weightDecay: 0.05, mask: path =&gt; path.EndsWith("/w"));</code></example>
    public static GradientTransformation AdamW(Schedule learningRate, double b1 = 0.9, double b2 = 0.999, double eps = 1e-8, double epsRoot = 0,
        double weightDecay = 1e-4, Func<string, bool>? mask = null, bool nesterov = false) =>
        WithDecayAndLearningRate(ScaleByAdam(b1, b2, eps, epsRoot, nesterov), weightDecay, mask, learningRate);

    /// <summary>NAdam (<c>optax.nadam</c>): <see cref="Adam"/> with Nesterov momentum.</summary>
    /// <example><code>var opt = Optimizers.NAdam(1e-3);</code></example>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>.</param>
    /// <param name="b1">The decay of the first moment.</param>
    /// <param name="b2">The decay of the second moment.</param>
    /// <param name="eps">Added to the denominator outside the square root.</param>
    /// <param name="epsRoot">Added inside the square root.</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation NAdam(Schedule learningRate, double b1 = 0.9, double b2 = 0.999, double eps = 1e-8, double epsRoot = 0) =>
        Adam(learningRate, b1, b2, eps, epsRoot, nesterov: true);

    /// <summary>NAdamW (<c>optax.nadamw</c>): <see cref="AdamW"/> with Nesterov momentum.</summary>
    /// <example><code>var opt = Optimizers.NAdamW(1e-3, weightDecay: 0.01);</code></example>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>.</param>
    /// <param name="b1">The decay of the first moment.</param>
    /// <param name="b2">The decay of the second moment.</param>
    /// <param name="eps">Added to the denominator outside the square root.</param>
    /// <param name="epsRoot">Added inside the square root.</param>
    /// <param name="weightDecay">The decoupled weight decay coefficient.</param>
    /// <param name="mask">Selects by path the parameters that are decayed (null: all).</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation NAdamW(Schedule learningRate, double b1 = 0.9, double b2 = 0.999, double eps = 1e-8, double epsRoot = 0,
        double weightDecay = 1e-4, Func<string, bool>? mask = null) =>
        AdamW(learningRate, b1, b2, eps, epsRoot, weightDecay, mask, nesterov: true);
}
