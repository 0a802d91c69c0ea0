using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Layer-wise trust-ratio scaling (<c>optax.scale_by_trust_ratio</c>, as in LARS/LAMB): each
    /// parameter's update is multiplied by <c>trustCoefficient · ‖p‖ / (‖u‖ + eps)</c>, norms at least
    /// <paramref name="minNorm"/>; by 1 where either norm is 0. Needs the parameters.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.ScaleByAdam(), Optimizers.ScaleByTrustRatio(), Optimizers.ScaleByLearningRate(1e-3));</code></example>
    /// <param name="minNorm">The smallest norm used.</param>
    /// <param name="trustCoefficient">The trust coefficient.</param>
    /// <param name="eps">Added to the update norm.</param>
    /// <returns>The transformation.</returns>
    public static GradientTransformation ScaleByTrustRatio(double minNorm = 0, double trustCoefficient = 1, double eps = 0) =>
        new(_ => OptState.Empty, (grads, s, p) =>
        {
            var ps = RequireParams(p, nameof(ScaleByTrustRatio));
            return (grads.Map((path, u) =>
            {
                var paramNorm = SafeNorm(ps[path], minNorm);
                var updateNorm = SafeNorm(u, minNorm);
                var ratio = paramNorm == 0 || updateNorm == 0 ? 1.0 : trustCoefficient * paramNorm / (updateNorm + eps);
                return u.Times(ratio);
            }), s);
        });

    /// <summary>The L2 norm of <paramref name="t"/>, or <paramref name="minNorm"/> when it is not larger (Optax's <c>safe_norm</c>).</summary>
    internal static double SafeNorm(Tensor t, double minNorm)
    {
        using var n = t.to_type(ScalarType.Float64).Squared().sum().sqrt();
        var norm = n.item<double>();
        return norm <= minNorm ? minNorm : norm;
    }

    /// <summary>
    /// LAMB (<c>optax.lamb</c>): Adam's direction plus decoupled weight decay, scaled per layer by the
    /// trust ratio <c>‖p‖ / ‖u‖</c>. Pass the parameters to <c>Update</c>.
    /// </summary>
    /// <example><code>var opt = Optimizers.Lamb(1e-3, weightDecay: 0.01);   // large-batch training</code></example>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>.</param>
    /// <param name="b1">The decay of the first moment.</param>
    /// <param name="b2">The decay of the second moment.</param>
    /// <param name="eps">Added to the denominator outside the square root.</param>
    /// <param name="epsRoot">Added inside the square root.</param>
    /// <param name="weightDecay">The decoupled weight decay coefficient.</param>
    /// <param name="mask">Selects by path the parameters that are decayed (null: all).</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation Lamb(Schedule learningRate, double b1 = 0.9, double b2 = 0.999, double eps = 1e-6, double epsRoot = 0,
        double weightDecay = 0, Func<string, bool>? mask = null)
    {
        return Chain(ScaleByAdam(b1, b2, eps, epsRoot), ScheduledDecayedWeights(_ => weightDecay, mask), ScaleByTrustRatio(), ScaleByLearningRate(learningRate));
    }

    /// <summary>
    /// LARS (<c>optax.lars</c>): weight decay, the trust ratio <c>trustCoefficient · ‖p‖ / (‖u‖ + eps)</c>,
    /// the learning rate, then momentum (<see cref="Trace"/>). Pass the parameters to <c>Update</c>.
    /// </summary>
    /// <example><code>var opt = Optimizers.Lars(0.1, weightDecay: 1e-4);</code></example>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>.</param>
    /// <param name="weightDecay">Weight decay added to the gradient.</param>
    /// <param name="weightDecayMask">Selects by path the parameters that are decayed (null: all, Optax's <c>True</c>).</param>
    /// <param name="trustCoefficient">The trust coefficient.</param>
    /// <param name="eps">Added to the update norm.</param>
    /// <param name="trustRatioMask">Selects by path the parameters that are scaled by the trust ratio (null: all).</param>
    /// <param name="momentum">The momentum coefficient.</param>
    /// <param name="nesterov">Use Nesterov momentum.</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation Lars(Schedule learningRate, double weightDecay = 0, Func<string, bool>? weightDecayMask = null,
        double trustCoefficient = 0.001, double eps = 0, Func<string, bool>? trustRatioMask = null, double momentum = 0.9, bool nesterov = false) =>
        Chain(
            ScheduledDecayedWeights(_ => weightDecay, weightDecayMask),
            Masked(ScaleByTrustRatio(trustCoefficient: trustCoefficient, eps: eps), trustRatioMask ?? (_ => true)),
            ScaleByLearningRate(learningRate),
            Trace(momentum, nesterov));

    /// <summary>
    /// Fromage (<c>optax.fromage</c>, the Frobenius matched gradient descent): with
    /// <c>μ = 1 / sqrt(1 + lr²)</c>, <c>p ← μ (p - lr · ‖p‖/‖g‖ · g)</c> per layer. Pass the parameters to <c>Update</c>.
    /// </summary>
    /// <example><code>var opt = Optimizers.Fromage(0.01);</code></example>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>.</param>
    /// <param name="minNorm">The smallest norm used in the trust ratio.</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation Fromage(Schedule learningRate, double minNorm = 1e-6)
    {
        ArgumentNullException.ThrowIfNull(learningRate);
        double Multiplier(long count) => 1 / Math.Sqrt(1 + Math.Pow(learningRate.ValueAt(count), 2));
        return Chain(
            ScaleByTrustRatio(minNorm),
            ScaleByLearningRate(new Schedule(c => Multiplier(c) * learningRate.ValueAt(c))),
            ScheduledDecayedWeights(c => Multiplier(c) - 1));
    }

    /// <summary>
    /// <c>u + decay(count) · p</c> on the parameters selected by <paramref name="mask"/> (null: all), counting its own
    /// updates (Optax's <c>add_decayed_weights</c> with a schedule and a mask; a zero decay needs no parameters).
    /// </summary>
    internal static GradientTransformation ScheduledDecayedWeights(Func<long, double> decay, Func<string, bool>? mask = null) =>
        new GradientTransformation(_ => OptState.Empty, (grads, s, p) =>
        {
            var d = decay(s.Count);
            var next = s with { Count = s.Count + 1 };
            if (d == 0) return (grads, next);
            var ps = RequireParams(p, "Weight decay (add_decayed_weights)");
            return (grads.Map((path, u) => mask is null || mask(path) ? u.PlusScaled(ps[path], d) : u), next);
        }).WithFlat(new FlatDecayedWeights(decay, mask, counts: true));
}
