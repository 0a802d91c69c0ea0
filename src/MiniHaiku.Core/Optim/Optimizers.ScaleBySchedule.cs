using TorchSharp;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Multiplies every update by <c>stepSizeFn(count)</c> (<c>optax.scale_by_schedule</c>; no sign flip,
    /// unlike <see cref="ScaleByLearningRate"/>). Counts its own updates from 0.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.ScaleByAdam(), Optimizers.ScaleBySchedule(Schedule.Linear(-1e-3, 0, 10_000)));</code></example>
    /// <param name="stepSizeFn">The factor as a function of the update count.</param>
    /// <returns>The transformation.</returns>
    public static GradientTransformation ScaleBySchedule(Schedule stepSizeFn)
    {
        ArgumentNullException.ThrowIfNull(stepSizeFn);
        return new(_ => OptState.Empty, (g, s, _) =>
        {
            using var factor = stepSizeFn.ValueAt(s.Count).ToScalar();
            return (g.Map(t => t.mul(factor)), s with { Count = s.Count + 1 });
        });
    }
}
