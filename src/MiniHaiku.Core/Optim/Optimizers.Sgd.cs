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
    /// <param name="decay">The momentum coefficient.</param>
    /// <param name="nesterov">Use Nesterov momentum.</param>
    /// <returns>The transformation, with slot <c>trace</c>.</returns>
    public static GradientTransformation Trace(double decay, bool nesterov = false) =>
        new(p => OptState.WithSlots(("trace", p.ZerosLike())), (grads, s, _) =>
        {
            var trace = MapWithSlots(grads, s.Slot("trace"), "trace", (g, t) => t * decay + g);
            var updates = nesterov ? grads.Map((path, g) => g + trace[path] * decay) : trace;
            return (updates, s with { Slots = s.Slots.SetItem("trace", trace) });
        });

    /// <summary>
    /// Stochastic gradient descent (<c>optax.sgd</c>; the same steps as <c>torch.optim.SGD</c>):
    /// <c>p -= lr * g</c>, or with momentum <c>b = momentum * b + g; p -= lr * b</c>, or with
    /// Nesterov <c>p -= lr * (g + momentum * b)</c>.
    /// </summary>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>.</param>
    /// <param name="momentum">The momentum coefficient; 0 for plain SGD.</param>
    /// <param name="nesterov">Use Nesterov momentum (needs <paramref name="momentum"/> &gt; 0).</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation Sgd(Schedule learningRate, double momentum = 0, bool nesterov = false)
    {
        if (momentum < 0) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "must not be negative.");
        if (nesterov && momentum == 0) throw new ArgumentException("Nesterov momentum needs momentum > 0.", nameof(nesterov));
        return momentum == 0
            ? Chain(ScaleByLearningRate(learningRate))
            : Chain(Trace(momentum, nesterov), ScaleByLearningRate(learningRate));
    }
}
