using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// NovoGrad's rescaling (<c>optax.scale_by_novograd</c>): a per-layer second moment
    /// <c>ν = ‖g‖²</c> at the first step, then <c>ν = b2 ν + (1-b2) ‖g‖²</c>; the update is the momentum
    /// <c>m = b1 m + g / (sqrt(ν + epsRoot) + eps) + weightDecay · p</c> (without the <c>b1 m</c> term at the first step).
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.ScaleByNovograd(), Optimizers.ScaleByLearningRate(1e-2));</code></example>
    /// <param name="b1">The decay of the momentum.</param>
    /// <param name="b2">The decay of the per-layer second moment.</param>
    /// <param name="eps">Added to the denominator outside the square root.</param>
    /// <param name="epsRoot">Added inside the square root.</param>
    /// <param name="weightDecay">Weight decay added inside the momentum (needs the parameters when not 0).</param>
    /// <returns>The transformation, with slots <c>mu</c> and <c>nu</c> (one scalar per parameter).</returns>
    public static GradientTransformation ScaleByNovograd(double b1 = 0.9, double b2 = 0.25, double eps = 1e-8, double epsRoot = 0, double weightDecay = 0) =>
        new(p => OptState.WithSlots(("mu", p.ZerosLike()), ("nu", p.Map(t => torch.zeros([], t.dtype)))), (grads, s, p) =>
        {
            var ps = weightDecay == 0 ? null : RequireParams(p, nameof(ScaleByNovograd));
            var first = s.Count == 0;
            var (updates, state) = MapSlots(grads, s, ["mu", "nu"], (path, g, slots) =>
            {
                using var squaredNorm = g.Squared().sum();
                var nu = first ? squaredNorm.to_type(slots[1].dtype) : Ema(slots[1], squaredNorm, b2);
                using var denominator = nu.Plus(epsRoot).sqrt_().PlusInPlace(eps);
                var addition = g.div(denominator);
                if (ps is not null) addition.PlusScaledInPlace(ps[path], weightDecay);
                var mu = first ? addition : slots[0].Times(b1).PlusInPlace(addition);
                return (mu, [mu, nu]);
            });
            return (updates, state with { Count = s.Count + 1 });
        });

    /// <summary>NovoGrad (<c>optax.novograd</c>): layer-wise normalized momentum.</summary>
    /// <example><code>var opt = Optimizers.Novograd(1e-2, weightDecay: 1e-3);</code></example>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>.</param>
    /// <param name="b1">The decay of the momentum.</param>
    /// <param name="b2">The decay of the per-layer second moment.</param>
    /// <param name="eps">Added to the denominator outside the square root.</param>
    /// <param name="epsRoot">Added inside the square root.</param>
    /// <param name="weightDecay">Weight decay added inside the momentum.</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation Novograd(Schedule learningRate, double b1 = 0.9, double b2 = 0.25, double eps = 1e-6, double epsRoot = 0, double weightDecay = 0) =>
        Chain(ScaleByNovograd(b1, b2, eps, epsRoot, weightDecay), ScaleByLearningRate(learningRate));
}
