using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Rprop's per-element step sizes (<c>optax.scale_by_rprop</c>): each step size starts at
    /// <paramref name="learningRate"/> and is multiplied by <paramref name="etaPlus"/> when the gradient
    /// keeps its sign, by <paramref name="etaMinus"/> when it flips (clipped to
    /// [<paramref name="minStepSize"/>, <paramref name="maxStepSize"/>]); the update is
    /// <c>step · sign(g)</c>, or 0 (and the gradient is forgotten) where the sign flipped.
    /// Optax's current code returns the previous step's update (one step late; google-deepmind/optax
    /// pull request 1725); this returns the current one, as the paper and <c>torch.optim.Rprop</c> do.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.ScaleByRprop(learningRate: 0.01), Optimizers.Scale(-1));</code></example>
    /// <param name="learningRate">The initial step size.</param>
    /// <param name="etaMinus">The factor when the gradient's sign flips.</param>
    /// <param name="etaPlus">The factor when it does not.</param>
    /// <param name="minStepSize">The smallest step size.</param>
    /// <param name="maxStepSize">The largest step size.</param>
    /// <returns>The transformation (updates point uphill: negate them), with slots <c>step_sizes</c> and <c>prev_updates</c>.</returns>
    public static GradientTransformation ScaleByRprop(double learningRate, double etaMinus = 0.5, double etaPlus = 1.2, double minStepSize = 1e-6, double maxStepSize = 50.0) =>
        new(p => OptState.WithSlots(("step_sizes", p.FullLike(learningRate)), ("prev_updates", p.ZerosLike())), (grads, s, _) =>
        {
            var (updates, state) = MapSlots(grads, s, ["step_sizes", "prev_updates"], (_, g, slots) =>
            {
                using var sign = g.mul(slots[1]);
                using var same = sign.GreaterThan(0);
                using var flipped = sign.LessThan(0);
                using var factors = torch.where(same, SafeOps.Full([], etaPlus, g.dtype), SafeOps.Full([], etaMinus, g.dtype));
                using var scaled = slots[0].mul(factors).ClampTo(minStepSize, maxStepSize);
                var stepSizes = torch.where(sign.eq(SafeOps.Full([], 0, g.dtype)), slots[0], scaled);
                using var zeros = torch.zeros_like(g);
                using var signG = g.sign();
                var update = torch.where(flipped, zeros, stepSizes.mul(signG));
                return (update, [stepSizes, update.clone()]);
            });
            return (updates, state with { Count = s.Count + 1 });
        });

    /// <summary>Rprop (<c>optax.rprop</c>; the same steps as <c>torch.optim.Rprop</c>): <c>p -= step · sign(g)</c> with per-element adaptive steps.</summary>
    /// <example><code>var opt = Optimizers.Rprop(0.01);   // full-batch training</code></example>
    /// <param name="learningRate">The initial step size.</param>
    /// <param name="etaMinus">The factor when the gradient's sign flips.</param>
    /// <param name="etaPlus">The factor when it does not.</param>
    /// <param name="minStepSize">The smallest step size.</param>
    /// <param name="maxStepSize">The largest step size.</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation Rprop(double learningRate, double etaMinus = 0.5, double etaPlus = 1.2, double minStepSize = 1e-6, double maxStepSize = 50.0) =>
        Chain(ScaleByRprop(learningRate, etaMinus, etaPlus, minStepSize, maxStepSize), ScaleByLearningRate(1.0));
}
