using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// RMSProp's rescaling with <c>torch.optim.RMSprop</c>'s arithmetic: <c>s = decay s + (1-decay) g²</c>,
    /// update <c>g / (sqrt(s) + eps)</c>; when <paramref name="centered"/>, also
    /// <c>a = decay a + (1-decay) g</c> and the denominator is <c>sqrt(s - a²) + eps</c>.
    /// (Optax puts <c>eps</c> inside the square root; this follows PyTorch.)
    /// </summary>
    /// <param name="decay">The decay of the squared-gradient average (PyTorch's <c>alpha</c>).</param>
    /// <param name="eps">Added to the denominator.</param>
    /// <param name="centered">Normalize by the variance instead of the second moment.</param>
    /// <returns>The transformation, with slot <c>nu</c> (and <c>mu</c> when centered).</returns>
    public static GradientTransformation ScaleByRms(double decay = 0.99, double eps = 1e-8, bool centered = false) =>
        new(p => centered ? OptState.WithSlots(("nu", p.ZerosLike()), ("mu", p.ZerosLike())) : OptState.WithSlots(("nu", p.ZerosLike())),
            (grads, s, _) =>
            {
                var nu = MapWithSlots(grads, s.Slot("nu"), "nu", (g, v) => v * decay + g.square() * (1 - decay));
                var slots = s.Slots.SetItem("nu", nu);
                Params updates;
                if (centered)
                {
                    var mu = MapWithSlots(grads, s.Slot("mu"), "mu", (g, m) => m * decay + g * (1 - decay));
                    slots = slots.SetItem("mu", mu);
                    updates = grads.Map((path, g) => g / ((nu[path] - mu[path].square()).sqrt() + eps));
                }
                else
                {
                    updates = grads.Map((path, g) => g / (nu[path].sqrt() + eps));
                }
                return (updates, s with { Count = s.Count + 1, Slots = slots });
            });

    /// <summary>RMSProp (the same steps as <c>torch.optim.RMSprop</c>), optionally centered and with momentum.</summary>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>.</param>
    /// <param name="decay">The decay of the squared-gradient average (PyTorch's <c>alpha</c>).</param>
    /// <param name="eps">Added to the denominator.</param>
    /// <param name="momentum">Momentum applied to the rescaled gradients; 0 for none.</param>
    /// <param name="centered">Normalize by the variance instead of the second moment.</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation RmsProp(Schedule learningRate, double decay = 0.99, double eps = 1e-8, double momentum = 0, bool centered = false) =>
        momentum == 0
            ? Chain(ScaleByRms(decay, eps, centered), ScaleByLearningRate(learningRate))
            : Chain(ScaleByRms(decay, eps, centered), Trace(momentum), ScaleByLearningRate(learningRate));
}
