namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>The sign of every update (<c>optax.scale_by_sign</c>). Stateless.</summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.ScaleBySign(), Optimizers.ScaleByLearningRate(1e-3));</code></example>
    /// <returns>The transformation.</returns>
    public static GradientTransformation ScaleBySign() =>
        new(_ => OptState.Empty, (g, s, _) => (g.Map(t => t.sign()), s));

    /// <summary>signSGD (<c>optax.sign_sgd</c>): <c>p -= lr · sign(g)</c>.</summary>
    /// <example><code>var opt = Optimizers.SignSgd(1e-3);</code></example>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>.</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation SignSgd(Schedule learningRate) =>
        Chain(ScaleBySign(), ScaleByLearningRate(learningRate));
}
