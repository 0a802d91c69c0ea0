using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Rectified Adam's rescaling (<c>optax.scale_by_radam</c>): Adam's moments; while the length of the
    /// approximated simple moving average <c>ρ_t = ρ∞ - 2 t b2^t / (1 - b2^t)</c> (with
    /// <c>ρ∞ = 2 / (1 - b2) - 1</c>) is below <paramref name="threshold"/>, the update is <c>m̂</c>
    /// (momentum SGD); after, <c>r_t · m̂ / (sqrt(ν̂ + epsRoot) + eps)</c> with
    /// <c>r_t = sqrt((ρ_t-4)(ρ_t-2)ρ∞ / ((ρ∞-4)(ρ∞-2)ρ_t))</c>.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.ScaleByRAdam(), Optimizers.ScaleByLearningRate(1e-3));</code></example>
    /// <param name="b1">The decay of the first moment.</param>
    /// <param name="b2">The decay of the second moment.</param>
    /// <param name="eps">Added to the denominator outside the square root.</param>
    /// <param name="epsRoot">Added inside the square root.</param>
    /// <param name="threshold">The <c>ρ_t</c> from which the adaptive update is used.</param>
    /// <param name="nesterov">Use Nesterov momentum for <c>m̂</c> (as <see cref="ScaleByAdam"/>).</param>
    /// <returns>The transformation, with slots <c>mu</c> and <c>nu</c>.</returns>
    public static GradientTransformation ScaleByRAdam(double b1 = 0.9, double b2 = 0.999, double eps = 1e-8, double epsRoot = 0, double threshold = 5.0, bool nesterov = false)
    {
        var roInf = 2.0 / (1.0 - b2) - 1.0;
        return new(p => OptState.WithSlots(("mu", p.ZerosLike()), ("nu", p.ZerosLike())), (grads, s, _) =>
        {
            var count = s.Count + 1;
            var b2t = Math.Pow(b2, count);
            var ro = roInf - 2 * count * b2t / (1 - b2t);
            var c1 = BiasCorrection(b1, count);
            var c1Next = BiasCorrection(b1, count + 1);
            var c2 = 1 - b2t;
            var (updates, state) = MapSlots(grads, s, ["mu", "nu"], (_, g, slots) =>
            {
                var mu = Ema(slots[0], g, b1);
                var nu = EmaSquare(slots[1], g, b2);
                var muHat = nesterov ? mu.Times(b1 / c1Next).PlusScaledInPlace(g, (1 - b1) / c1) : mu.DividedBy(c1);
                if (ro < threshold) return (muHat, [mu, nu]);
                var r = Math.Sqrt((ro - 4) * (ro - 2) * roInf / ((roInf - 4) * (roInf - 2) * ro));
                using var denominator = nu.DividedBy(c2).PlusInPlace(epsRoot).sqrt_().PlusInPlace(eps);
                using (muHat) return (muHat.div(denominator).TimesInPlace(r), [mu, nu]);
            });
            return (updates, state with { Count = count });
        });
    }

    /// <summary>
    /// RAdam (<c>optax.radam</c>). <c>torch.optim.RAdam</c> takes the same steps up to where <c>eps</c>
    /// sits (PyTorch adds it to <c>sqrt(ν)</c> before the bias correction).
    /// </summary>
    /// <example><code>var opt = Optimizers.RAdam(1e-3);</code></example>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>.</param>
    /// <param name="b1">The decay of the first moment.</param>
    /// <param name="b2">The decay of the second moment.</param>
    /// <param name="eps">Added to the denominator outside the square root.</param>
    /// <param name="epsRoot">Added inside the square root.</param>
    /// <param name="threshold">The <c>ρ_t</c> from which the adaptive update is used.</param>
    /// <param name="nesterov">Use Nesterov momentum.</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation RAdam(Schedule learningRate, double b1 = 0.9, double b2 = 0.999, double eps = 1e-8, double epsRoot = 0,
        double threshold = 5.0, bool nesterov = false) =>
        Chain(ScaleByRAdam(b1, b2, eps, epsRoot, threshold, nesterov), ScaleByLearningRate(learningRate));
}
