using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Adadelta's rescaling (<c>optax.scale_by_adadelta</c>): <c>E[g²] = ρ E[g²] + (1-ρ) g²</c>,
    /// update <c>Δ = sqrt(E[Δ²] + eps) / sqrt(E[g²] + eps) · g</c>, then <c>E[Δ²] = ρ E[Δ²] + (1-ρ) Δ²</c>.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.ScaleByAdadelta(rho: 0.9), Optimizers.ScaleByLearningRate(1.0));</code></example>
    /// <param name="rho">The decay of both averages.</param>
    /// <param name="eps">Added inside both square roots.</param>
    /// <returns>The transformation, with slots <c>e_g</c> and <c>e_x</c>.</returns>
    public static GradientTransformation ScaleByAdadelta(double rho = 0.9, double eps = 1e-6) =>
        new(p => OptState.WithSlots(("e_g", p.ZerosLike()), ("e_x", p.ZerosLike())), (grads, s, _) =>
        {
            var (updates, state) = MapSlots(grads, s, ["e_g", "e_x"], (_, g, slots) =>
            {
                var eg = EmaSquare(slots[0], g, rho);
                using var numerator = slots[1].Plus(eps).sqrt_();
                using var denominator = eg.Plus(eps).sqrt_();
                var delta = numerator.div(denominator).mul_(g);
                return (delta, [eg, EmaSquare(slots[1], delta, rho)]);
            });
            return (updates, state with { Count = s.Count + 1 });
        });

    /// <summary>
    /// Adadelta (<c>optax.adadelta</c>; the same steps as <c>torch.optim.Adadelta</c>): optional coupled
    /// weight decay (added to the gradient), <see cref="ScaleByAdadelta"/>, the learning rate.
    /// </summary>
    /// <example><code>var opt = Optimizers.Adadelta(learningRate: 1.0, rho: 0.95);</code></example>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>; null means 1 (Optax's <c>None</c>
    /// skips the scaling and would therefore step uphill; 1 is the paper's and PyTorch's rule).</param>
    /// <param name="rho">The decay of both averages.</param>
    /// <param name="eps">Added inside both square roots.</param>
    /// <param name="weightDecay">Weight decay added to the gradient before rescaling.</param>
    /// <param name="weightDecayMask">Selects by path the parameters that are decayed (null: all).</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation Adadelta(Schedule? learningRate = null, double rho = 0.9, double eps = 1e-6, double weightDecay = 0, Func<string, bool>? weightDecayMask = null)
    {
        return Chain(ScheduledDecayedWeights(_ => weightDecay, weightDecayMask), ScaleByAdadelta(rho, eps), ScaleByLearningRate(learningRate ?? 1.0));
    }
}
