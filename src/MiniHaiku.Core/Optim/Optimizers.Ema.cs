using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Replaces the updates by their exponential moving average (<c>optax.ema</c>):
    /// <c>ema = decay·ema + (1−decay)·u</c>, returned divided by <c>1 − decay^t</c> when
    /// <paramref name="debias"/>. The state holds the count and slot <c>ema</c> (not debiased).
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.Sgd(0.1), Optimizers.Ema(decay: 0.999));   // updates become their moving average</code></example>
    /// <param name="decay">The decay of the average, in [0, 1).</param>
    /// <param name="debias">Divide by <c>1 − decay^t</c> (Optax's default).</param>
    /// <returns>The transformation.</returns>
    public static GradientTransformation Ema(double decay, bool debias = true) =>
        new(p => OptState.WithSlots(("ema", p.ZerosLike())), (grads, s, _) =>
        {
            var count = s.Count + 1;
            var ema = MapWithSlots(grads, s.Slot("ema"), "ema", (g, e) => e.Times(decay).PlusScaledInPlace(g, 1 - decay));
            var updates = debias ? ema.Map(e => e.DividedBy(1 - Math.Pow(decay, count))) : ema;
            return (updates, s with { Count = count, Slots = s.Slots.SetItem("ema", ema) });
        });

    /// <summary>
    /// <c>stepSize·new + (1 − stepSize)·old</c> for every tensor (<c>optax.incremental_update</c>): Polyak
    /// averaging of a target network.
    /// </summary>
    /// <example><code>
    /// var target = p.Map(t => t.clone());                                  // e.g. a target network
    /// target = Optimizers.IncrementalUpdate(p, target, stepSize: 0.005);   // target + 0.005 (p - target)
    /// </code></example>
    /// <param name="newTensors">The new values.</param>
    /// <param name="oldTensors">The old values, same keys.</param>
    /// <param name="stepSize">The weight of the new values, in [0, 1].</param>
    /// <returns>The blended map.</returns>
    public static Params IncrementalUpdate(Params newTensors, Params oldTensors, double stepSize)
    {
        ArgumentNullException.ThrowIfNull(newTensors);
        ArgumentNullException.ThrowIfNull(oldTensors);
        using var noGrad = torch.no_grad();
        return newTensors.Zip(oldTensors, (n, o) =>
        {
            using var scaledOld = o.Times(1 - stepSize);
            return scaledOld.PlusScaled(n, stepSize);
        });
    }

    /// <summary>
    /// <paramref name="newTensors"/> when <paramref name="steps"/> is a multiple of
    /// <paramref name="updatePeriod"/>, else <paramref name="oldTensors"/> (<c>optax.periodic_update</c>):
    /// periodic copying of a target network.
    /// </summary>
    /// <example><code>
    /// var target = p.Map(t => t.clone());
    /// target = Optimizers.PeriodicUpdate(p, target, steps: step, updatePeriod: 100);   // copies p every 100 steps
    /// </code></example>
    /// <param name="newTensors">The new values.</param>
    /// <param name="oldTensors">The old values.</param>
    /// <param name="steps">The current step.</param>
    /// <param name="updatePeriod">The period; at least 1.</param>
    /// <returns>One of the two maps (not copied).</returns>
    public static Params PeriodicUpdate(Params newTensors, Params oldTensors, long steps, long updatePeriod)
    {
        ArgumentNullException.ThrowIfNull(newTensors);
        ArgumentNullException.ThrowIfNull(oldTensors);
        if (updatePeriod < 1) throw new OptimizerConfigurationException("Ema", $"updatePeriod: must be at least 1. (got {updatePeriod})");
        return steps % updatePeriod == 0 ? newTensors : oldTensors;
    }
}
