using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Lion's update direction (<c>optax.scale_by_lion</c>, mode "hard"): <c>sign((1-b1) g + b1 m)</c>,
    /// then <c>m = b2 m + (1-b2) g</c>.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.ScaleByLion(), Optimizers.ScaleByLearningRate(1e-4));</code></example>
    /// <param name="b1">The interpolation between gradient and momentum for the update.</param>
    /// <param name="b2">The decay of the momentum.</param>
    /// <returns>The transformation, with slot <c>mu</c>.</returns>
    public static GradientTransformation ScaleByLion(double b1 = 0.9, double b2 = 0.99) =>
        new GradientTransformation(p => OptState.WithSlots(("mu", p.ZerosLike())), (grads, s, _) =>
        {
            var (updates, state) = MapSlots(grads, s, ["mu"], (_, g, slots) =>
            {
                using var interpolated = slots[0].Times(b1).PlusScaledInPlace(g, 1 - b1);
                return (interpolated.sign(), [Ema(slots[0], g, b2)]);
            });
            return (updates, state with { Count = s.Count + 1 });
        }).WithFlat(new FlatLion(b1, b2));

    /// <summary>
    /// Lion (<c>optax.lion</c>): the sign of an interpolated momentum, with decoupled weight decay
    /// (Optax's default 1e-3). Use a learning rate 3–10× smaller than Adam's. Pass the parameters to <c>Update</c>.
    /// </summary>
    /// <example><code>var opt = Optimizers.Lion(1e-4, weightDecay: 1e-2);</code></example>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>.</param>
    /// <param name="b1">The interpolation between gradient and momentum for the update.</param>
    /// <param name="b2">The decay of the momentum.</param>
    /// <param name="weightDecay">The decoupled weight decay coefficient.</param>
    /// <param name="mask">Selects by path the parameters that are decayed (null: all).</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation Lion(Schedule learningRate, double b1 = 0.9, double b2 = 0.99, double weightDecay = 1e-3, Func<string, bool>? mask = null) =>
        WithDecayAndLearningRate(ScaleByLion(b1, b2), weightDecay, mask, learningRate);
}
