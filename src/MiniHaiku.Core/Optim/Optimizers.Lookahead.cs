using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Lookahead (<c>optax.lookahead</c>, Zhang et al. 2019): <paramref name="fastOptimizer"/> updates the
    /// (fast) parameters; every <paramref name="syncPeriod"/> steps the slow weights move
    /// <paramref name="slowStepSize"/> of the way towards the fast ones and the fast weights are reset to
    /// them. Optax passes fast and slow weights as a pair; here the parameters are the fast weights and the
    /// slow weights live in the state's slot <c>slow</c> (read them with <see cref="LookaheadSlowParams"/>,
    /// e.g. for evaluation). Needs the parameters.
    /// </summary>
    /// <example><code>var opt = Optimizers.Lookahead(Optimizers.Adam(1e-3), syncPeriod: 5, slowStepSize: 0.5);</code></example>
    /// <param name="fastOptimizer">The inner optimizer.</param>
    /// <param name="syncPeriod">Fast steps between synchronisations; at least 1.</param>
    /// <param name="slowStepSize">The slow weights' step towards the fast ones, in [0, 1].</param>
    /// <param name="resetState">Reset the fast optimizer's state at each synchronisation.</param>
    /// <returns>The transformation; its state holds the number <c>steps_since_sync</c>, slot <c>slow</c> and the fast state.</returns>
    public static GradientTransformation Lookahead(GradientTransformation fastOptimizer, int syncPeriod, double slowStepSize, bool resetState = false)
    {
        ArgumentNullException.ThrowIfNull(fastOptimizer);
        if (syncPeriod < 1) throw new OptimizerConfigurationException("Lookahead", $"syncPeriod: Synchronization period must be >= 1. (got {syncPeriod})");
        return GradientTransformation.WithExtraArgs(
            p => OptState.Of([fastOptimizer.InitFunction(p)]) with
            {
                Slots = OptState.WithSlots(("slow", p.Map(t => t.detach().clone()))).Slots,
                Numbers = OptState.Empty.WithNumber("steps_since_sync", 0).Numbers,
            },
            (grads, s, p, extra) =>
            {
                RequireInner(s, 1, nameof(Lookahead));
                var fast = RequireParams(p, nameof(Lookahead));
                var (updates, fastState) = fastOptimizer.UpdateWithExtraArgs(grads, s.Inner[0], fast, extra);
                var steps = (long)s.Number("steps_since_sync");
                var slow = s.Slot("slow");
                if (steps != syncPeriod - 1)
                    return (updates, s with { Inner = [fastState], Numbers = s.Numbers.SetItem("steps_since_sync", steps + 1) });
                // diff = fast + u - slow; slow' = slow + α·diff; fast' = fast + u - (1-α)·diff = slow'.
                var newSlow = updates.Map((path, u) =>
                {
                    using var scope = torch.NewDisposeScope();
                    var oldSlow = SlotEntry(slow, "slow", path);
                    var diff = fast[path].Plus(u).MinusInPlace(oldSlow);
                    return oldSlow.PlusScaled(diff, slowStepSize).MoveToOuterDisposeScope();
                });
                var newUpdates = newSlow.Map((path, sl) => sl.Minus(fast[path]));
                if (resetState) fastState = fastOptimizer.InitFunction(fast);
                return (newUpdates, s with
                {
                    Inner = [fastState],
                    Slots = s.Slots.SetItem("slow", newSlow),
                    Numbers = s.Numbers.SetItem("steps_since_sync", 0),
                });
            });
    }

    /// <summary>The slow weights of a <see cref="Lookahead"/> state (Optax's <c>LookaheadParams.slow</c>).</summary>
    /// <example><code>Params slow = Optimizers.LookaheadSlowParams(optState);   // evaluate with the slow weights</code></example>
    /// <param name="state">A Lookahead state.</param>
    /// <returns>The slow weights.</returns>
    public static Params LookaheadSlowParams(OptState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Slot("slow");
    }
}
