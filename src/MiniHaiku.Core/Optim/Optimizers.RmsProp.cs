using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    private static readonly string[] RmsSlots = ["nu"], CenteredRmsSlots = ["nu", "mu"];

    /// <summary>
    /// <c>optax.scale_by_rms</c> (<paramref name="centered"/> false) or <c>optax.scale_by_stddev</c>
    /// (true: also <c>μ = decay μ + (1-decay) g</c>, and <c>ν - μ²</c> replaces <c>ν</c>).
    /// </summary>
    internal static GradientTransformation RmsCore(double decay, double eps, double initialScale, bool epsInSqrt, bool centered, bool biasCorrection) =>
        new GradientTransformation(p => centered
                ? OptState.WithSlots(("nu", p.FullLike(initialScale)), ("mu", p.ZerosLike()))
                : OptState.WithSlots(("nu", p.FullLike(initialScale))),
            (grads, s, _) =>
            {
                var count = s.Count + 1;
                var correction = biasCorrection ? BiasCorrection(decay, count) : 1.0;
                var names = centered ? CenteredRmsSlots : RmsSlots;
                var (updates, state) = MapSlots(grads, s, names, (_, g, slots) =>
                {
                    var nu = EmaSquare(slots[0], g, decay);
                    Tensor? mu = centered ? Ema(slots[1], g, decay) : null;
                    using var nuHat = correction == 1.0 ? nu.alias() : nu.DividedBy(correction);
                    using var variance = mu is null ? nuHat.alias() : nuHat.Minus(mu.DividedBy(correction).Squared());
                    using var denominator = epsInSqrt ? variance.Plus(eps).sqrt_() : variance.sqrt().PlusInPlace(eps);
                    return (g.div(denominator), mu is null ? [nu] : [nu, mu]);
                });
                return (updates, state with { Count = count });
            }).WithFlat(new FlatRms(decay, eps, epsInSqrt, centered, biasCorrection));

    /// <summary>
    /// RMSProp (<c>optax.rmsprop</c>): <see cref="ScaleByRms"/> (or its centered form), the learning
    /// rate, then optional momentum (<see cref="Trace"/>). Optax's defaults: <c>decay</c> 0.9 and
    /// <c>eps</c> inside the square root; for <c>torch.optim.RMSprop</c>'s steps pass
    /// <c>decay: 0.99, epsInSqrt: false</c>.
    /// </summary>
    /// <example><code>var opt = Optimizers.RmsProp(1e-3, decay: 0.9);</code></example>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>.</param>
    /// <param name="decay">The decay of the squared-gradient average (PyTorch's <c>alpha</c>).</param>
    /// <param name="eps">Added to the denominator.</param>
    /// <param name="initialScale">The starting value of the squared-gradient average.</param>
    /// <param name="epsInSqrt">Add <paramref name="eps"/> inside the square root (Optax) or outside (PyTorch).</param>
    /// <param name="centered">Normalize by the variance instead of the second moment.</param>
    /// <param name="momentum">Momentum applied to the scaled updates; null (or 0) for none.</param>
    /// <param name="nesterov">Use Nesterov momentum (needs <paramref name="momentum"/>).</param>
    /// <param name="biasCorrection">Bias-correct the averages by <c>1 - decay^t</c>.</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation RmsProp(Schedule learningRate, double decay = 0.9, double eps = 1e-8, double initialScale = 0,
        bool epsInSqrt = true, bool centered = false, double? momentum = null, bool nesterov = false, bool biasCorrection = false)
    {
        if (nesterov && (momentum ?? 0) == 0) throw new OptimizerConfigurationException("RmsProp", "Nesterov momentum needs momentum > 0.");
        var rms = RmsCore(decay, eps, initialScale, epsInSqrt, centered, biasCorrection);
        return momentum is null or 0
            ? Chain(rms, ScaleByLearningRate(learningRate))
            : Chain(rms, ScaleByLearningRate(learningRate), Trace(momentum.Value, nesterov));
    }
}
