using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>Multiplies every update by <paramref name="factor"/> (<c>optax.scale</c>). Stateless.</summary>
    /// <example><code>var sgd = Optimizers.Scale(-0.1);   // plain SGD: updates = -0.1 × gradients</code></example>
    /// <param name="factor">The factor.</param>
    /// <returns>The transformation.</returns>
    public static GradientTransformation Scale(double factor) =>
        new GradientTransformation(_ => OptState.Empty, (g, s, _) => (g.Map(t => t.Times(factor)), s)).WithFlat(new FlatScale(_ => factor, counts: false));

    /// <summary>
    /// Multiplies every update by <c>-learningRate(count)</c> (<c>optax.scale_by_learning_rate</c>):
    /// the last link of a descent optimizer. Counts its own updates from 0.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.ScaleByAdam(), Optimizers.ScaleByLearningRate(Schedule.CosineDecay(1e-3, 10_000)));   // × -lr(step)</code></example>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>.</param>
    /// <returns>The transformation.</returns>
    public static GradientTransformation ScaleByLearningRate(Schedule learningRate)
    {
        ArgumentNullException.ThrowIfNull(learningRate);
        return new GradientTransformation(_ => OptState.Empty, (g, s, _) =>
        {
            var factor = -learningRate.ValueAt(s.Count);
            return (g.Map(t => t.Times(factor)), s with { Count = s.Count + 1 });
        }).WithFlat(new FlatScale(c => -learningRate.ValueAt(c), counts: true));
    }

    /// <summary>Adds <c>weightDecay * param</c> to every update (<c>optax.add_decayed_weights</c>). Needs the parameters.</summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.ScaleByAdam(), Optimizers.AddDecayedWeights(1e-4), Optimizers.ScaleByLearningRate(1e-3));   // AdamW</code></example>
    /// <param name="weightDecay">The decay coefficient.</param>
    /// <returns>The transformation.</returns>
    public static GradientTransformation AddDecayedWeights(double weightDecay) =>
        new GradientTransformation(_ => OptState.Empty, (g, s, p) =>
        {
            if (weightDecay == 0) return (g, s);
            var ps = RequireParams(p, nameof(AddDecayedWeights));
            return (g.Map((path, t) => t.PlusScaled(ps[path], weightDecay)), s);
        }).WithFlat(new FlatDecayedWeights(_ => weightDecay, mask: null, counts: false));

    /// <summary>Replaces every update by zeros (<c>optax.set_to_zero</c>): combine with <see cref="Masked"/> to freeze parameters.</summary>
    /// <example><code>var opt = Optimizers.SetToZero();   // e.g. the "frozen" branch of Partition</code></example>
    /// <returns>The transformation.</returns>
    public static GradientTransformation SetToZero() =>
        new(_ => OptState.Empty, (g, s, _) => (g.ZerosLike(), s));
}
