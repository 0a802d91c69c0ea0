using MiniHaiku.Internal;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Scales the updates down by <paramref name="factor"/> when the loss stops improving
    /// (<c>optax.contrib.reduce_on_plateau</c>). Pass the loss to every update:
    /// <c>opt.Update(grads, state, params, value: loss)</c>. The loss is averaged over
    /// <paramref name="accumulationSize"/> updates; an average below <c>(1 − rtol)·best − atol</c> is an
    /// improvement; after <paramref name="patience"/> averages without one the scale is multiplied by
    /// <paramref name="factor"/> (not below <paramref name="minScale"/>) and <paramref name="cooldown"/>
    /// averages are ignored. The state holds numbers <c>scale</c>, <c>best_value</c>, <c>plateau_count</c>,
    /// <c>cooldown_count</c>, <c>count</c> and <c>avg_value</c>.
    /// </summary>
    /// <example><code>
    /// var opt = Optimizers.Chain(Optimizers.Adam(1e-3), Optimizers.ReduceOnPlateau(factor: 0.5, patience: 5));
    /// var (updates, newState) = opt.Update(grads, opt.Init(p), p, value: loss.item&lt;float>());   // it needs the loss
    /// </code></example>
    /// <param name="factor">The reduction factor, in (0, 1).</param>
    /// <param name="patience">Averages without improvement before reducing.</param>
    /// <param name="rtol">Relative improvement threshold, in [0, 1].</param>
    /// <param name="atol">Absolute improvement threshold, non-negative.</param>
    /// <param name="cooldown">Averages to wait after a reduction.</param>
    /// <param name="accumulationSize">Updates averaged into one loss value; at least 1.</param>
    /// <param name="minScale">The smallest scale.</param>
    /// <returns>The transformation.</returns>
    /// <exception cref="MiniHaikuException">An update was called without the loss.</exception>
    public static GradientTransformation ReduceOnPlateau(double factor = 0.1, int patience = 10, double rtol = 1e-4, double atol = 0.0,
        int cooldown = 0, int accumulationSize = 1, double minScale = 0.0)
    {
        if (!(factor > 0 && factor < 1)) throw new OptimizerConfigurationException("ReduceOnPlateau", $"factor: Factor must be in the range (0, 1). (got {factor})");
        if (!(rtol >= 0) || !(atol >= 0)) throw new OptimizerConfigurationException("ReduceOnPlateau", $"rtol: Both rtol and atol must be non-negative, got rtol = {rtol} and atol = {atol}.");
        if (rtol == 0 && atol == 0) throw new OptimizerConfigurationException("ReduceOnPlateau", $"rtol: At least one of rtol or atol must be positive.");
        if (rtol > 1) throw new OptimizerConfigurationException("ReduceOnPlateau", $"rtol: rtol must be less than or equal to 1.0. (got {rtol})");
        if (accumulationSize < 1) throw new OptimizerConfigurationException("ReduceOnPlateau", $"accumulationSize: must be at least 1. (got {accumulationSize})");
        return GradientTransformation.WithExtraArgs(
            _ => OptState.Empty.WithNumber("scale", 1).WithNumber("best_value", double.PositiveInfinity).WithNumber("plateau_count", 0)
                .WithNumber("cooldown_count", 0).WithNumber("count", 0).WithNumber("avg_value", 0),
            (grads, s, _, extra) =>
            {
                var value = extra.Value ?? throw new OptimizerConfigurationException("ReduceOnPlateau",
                    "it needs the loss at every update: call Update(grads, state, params, value: loss).");
                var count = s.Number("count");
                var newCount = count + 1;
                var avg = (count * s.Number("avg_value") + value) / newCount;
                var n = s.Numbers.SetItem("avg_value", avg).SetItem("count", newCount);
                if (newCount == accumulationSize)
                {
                    var best = s.Number("best_value");
                    var improved = avg < (1 - rtol) * best - atol;
                    var newBest = improved ? avg : best;
                    var plateau = improved ? 0 : s.Number("plateau_count") + 1;
                    var scale = s.Number("scale");
                    var cooldownCount = s.Number("cooldown_count");
                    if (cooldownCount > 0)
                    {
                        plateau = 0;
                        cooldownCount -= 1;
                    }
                    else
                    {
                        var reduce = plateau == patience;
                        scale = Math.Max(reduce ? scale * factor : scale, minScale);
                        cooldownCount = reduce ? cooldown : 0;
                        if (reduce) plateau = 0;
                    }
                    n = n.SetItem("best_value", newBest).SetItem("plateau_count", plateau).SetItem("scale", scale)
                        .SetItem("cooldown_count", cooldownCount).SetItem("count", 0).SetItem("avg_value", 0);
                }
                var factorNow = n["scale"];
                return (grads.Map(g => g.Times(factorNow)), s with { Numbers = n });
            });
    }
}
