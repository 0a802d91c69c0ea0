using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Accumulates updates and emits their sum every <paramref name="k"/> steps, zeros in between
    /// (<c>optax.apply_every</c>). The state holds the number <c>count</c> (modulo k) and slot <c>grad_acc</c>.
    /// For gradient accumulation in front of a stateful optimizer prefer <see cref="MultiSteps(GradientTransformation, int, bool, SkipUpdatePredicate?)"/>.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.Sgd(0.1), Optimizers.ApplyEvery(k: 4));   // the sum of 4 steps' updates, every 4th step</code></example>
    /// <param name="k">The period; at least 1.</param>
    /// <returns>The transformation.</returns>
    public static GradientTransformation ApplyEvery(int k = 1)
    {
        if (k < 1) throw new OptimizerConfigurationException("ApplyEvery", $"k: must be at least 1. (got {k})");
        return new(p => OptState.WithSlots(("grad_acc", p.ZerosLike())).WithNumber("count", 0), (grads, s, _) =>
        {
            var c = (long)s.Number("count") % k;
            var acc = MapWithSlots(grads, s.Slot("grad_acc"), "grad_acc", (g, a) => c != 0 ? a.Plus(g) : g.clone());
            var updates = c == k - 1 ? acc : acc.ZerosLike();
            return (updates, s with { Slots = s.Slots.SetItem("grad_acc", acc), Numbers = s.Numbers.SetItem("count", (c + 1) % k) });
        });
    }
}
