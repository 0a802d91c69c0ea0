using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// A momentum accumulator (<c>optax.trace</c>): <c>t = decay * t + g</c>, giving <c>t</c>, or with
    /// <paramref name="nesterov"/> <c>g + decay * t</c>. The same arithmetic as <c>torch.optim.SGD</c>'s
    /// momentum buffer with no dampening.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.Trace(decay: 0.9), Optimizers.ScaleByLearningRate(0.1));   // SGD with momentum</code></example>
    /// <param name="decay">The momentum coefficient.</param>
    /// <param name="nesterov">Use Nesterov momentum.</param>
    /// <returns>The transformation, with slot <c>trace</c>.</returns>
    public static GradientTransformation Trace(double decay, bool nesterov = false) =>
        new GradientTransformation(p => OptState.WithSlots(("trace", p.ZerosLike())), (grads, s, _) =>
        {
            var trace = MapWithSlots(grads, s.Slot("trace"), "trace", (g, t) => t.Times(decay).PlusInPlace(g));
            var updates = nesterov ? grads.Map((path, g) => g.PlusScaled(trace[path], decay)) : trace;
            return (updates, s with { Slots = s.Slots.SetItem("trace", trace) });
        }).WithFlat(new FlatTrace(decay, nesterov));
}
