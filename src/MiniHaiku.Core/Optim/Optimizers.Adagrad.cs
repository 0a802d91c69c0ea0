using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Adagrad's rescaling with <c>torch.optim.Adagrad</c>'s arithmetic: <c>s = s + g²</c>, update
    /// <c>g / (sqrt(s) + eps)</c>.
    /// </summary>
    /// <param name="initialAccumulatorValue">The starting value of <c>s</c>.</param>
    /// <param name="eps">Added to the denominator.</param>
    /// <returns>The transformation, with slot <c>sum_of_squares</c>.</returns>
    public static GradientTransformation ScaleByAdagrad(double initialAccumulatorValue = 0, double eps = 1e-10) =>
        new(p => OptState.WithSlots(("sum_of_squares", p.FullLike(initialAccumulatorValue))), (grads, s, _) =>
        {
            var sum = MapWithSlots(grads, s.Slot("sum_of_squares"), "sum_of_squares", (g, acc) => acc + g.square());
            var updates = grads.Map((path, g) => g / (sum[path].sqrt() + eps));
            return (updates, s with { Count = s.Count + 1, Slots = s.Slots.SetItem("sum_of_squares", sum) });
        });

    /// <summary>Adagrad (the same steps as <c>torch.optim.Adagrad</c> without learning-rate decay).</summary>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>.</param>
    /// <param name="initialAccumulatorValue">The starting value of the sum of squares.</param>
    /// <param name="eps">Added to the denominator.</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation Adagrad(Schedule learningRate, double initialAccumulatorValue = 0, double eps = 1e-10) =>
        Chain(ScaleByAdagrad(initialAccumulatorValue, eps), ScaleByLearningRate(learningRate));
}
