using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Adan's rescaling (<c>optax.scale_by_adan</c>): with the gradient difference
    /// <c>Δ = g - g_prev</c> (0 at the first step), <c>m = ema(g, b1)</c>, <c>v = ema(Δ, b2)</c>,
    /// <c>n = ema((g + (1-b2) Δ)², b3)</c>, update <c>(m̂ + (1-b2) v̂) / (sqrt(n̂ + epsRoot) + eps)</c>
    /// with every average bias-corrected.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.ScaleByAdan(), Optimizers.ScaleByLearningRate(1e-3));</code></example>
    /// <param name="b1">The decay of the gradient average.</param>
    /// <param name="b2">The decay of the gradient-difference average.</param>
    /// <param name="b3">The decay of the second moment.</param>
    /// <param name="eps">Added to the denominator outside the square root.</param>
    /// <param name="epsRoot">Added inside the square root.</param>
    /// <returns>The transformation, with slots <c>m</c>, <c>v</c>, <c>n</c> and <c>g</c> (the previous gradient).</returns>
    public static GradientTransformation ScaleByAdan(double b1 = 0.98, double b2 = 0.92, double b3 = 0.99, double eps = 1e-8, double epsRoot = 0) =>
        new(p => OptState.WithSlots(("m", p.ZerosLike()), ("v", p.ZerosLike()), ("n", p.ZerosLike()), ("g", p.ZerosLike())), (grads, s, _) =>
        {
            var count = s.Count + 1;
            var (c1, c2, c3) = (BiasCorrection(b1, count), BiasCorrection(b2, count), BiasCorrection(b3, count));
            var (updates, state) = MapSlots(grads, s, ["m", "v", "n", "g"], (_, g, slots) =>
            {
                using var diff = s.Count == 0 ? torch.zeros_like(g) : g.Minus(slots[3]);
                var m = Ema(slots[0], g, b1);
                var v = Ema(slots[1], diff, b2);
                using var sq = g.PlusScaled(diff, 1 - b2);
                var n = EmaSquare(slots[2], sq, b3);
                using var direction = m.DividedBy(c1).PlusScaledInPlace(v, (1 - b2) / c2);
                using var denominator = n.DividedBy(c3).PlusInPlace(epsRoot).sqrt_().PlusInPlace(eps);
                return (direction.div(denominator), [m, v, n, g.clone()]);
            });
            return (updates, state with { Count = count });
        });

    /// <summary>Adan (<c>optax.adan</c>): adaptive Nesterov momentum, with decoupled weight decay. Pass the parameters to <c>Update</c> when decaying.</summary>
    /// <example><code>var opt = Optimizers.Adan(1e-3);</code></example>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>.</param>
    /// <param name="b1">The decay of the gradient average.</param>
    /// <param name="b2">The decay of the gradient-difference average.</param>
    /// <param name="b3">The decay of the second moment.</param>
    /// <param name="eps">Added to the denominator outside the square root.</param>
    /// <param name="epsRoot">Added inside the square root (Optax's alias default 1e-8).</param>
    /// <param name="weightDecay">The decoupled weight decay coefficient.</param>
    /// <param name="mask">Selects by path the parameters that are decayed (null: all).</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation Adan(Schedule learningRate, double b1 = 0.98, double b2 = 0.92, double b3 = 0.99, double eps = 1e-8, double epsRoot = 1e-8,
        double weightDecay = 0, Func<string, bool>? mask = null) =>
        WithDecayAndLearningRate(ScaleByAdan(b1, b2, b3, eps, epsRoot), weightDecay, mask, learningRate);
}
