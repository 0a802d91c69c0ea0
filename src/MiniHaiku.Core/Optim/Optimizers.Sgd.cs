namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Stochastic gradient descent (<c>optax.sgd</c>; the same steps as <c>torch.optim.SGD</c> without
    /// dampening): <c>p -= lr * g</c>, or with momentum <c>b = momentum * b + g; p -= lr * b</c>, or with
    /// Nesterov <c>p -= lr * (g + momentum * b)</c>.
    /// </summary>
    /// <example><code>var opt = Optimizers.Sgd(0.1, momentum: 0.9, nesterov: true);</code></example>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>.</param>
    /// <param name="momentum">The momentum coefficient (<see cref="Trace"/>); null (Optax's default) or 0 for plain SGD.</param>
    /// <param name="nesterov">Use Nesterov momentum (needs <paramref name="momentum"/> &gt; 0).</param>
    /// <returns>The optimizer.</returns>
    /// <exception cref="OptimizerConfigurationException">A negative momentum, or <paramref name="nesterov"/> without momentum.</exception>
    public static GradientTransformation Sgd(Schedule learningRate, double? momentum = null, bool nesterov = false)
    {
        if (momentum < 0) throw new OptimizerConfigurationException("Sgd", $"momentum: must not be negative. (got {momentum})");
        if (nesterov && (momentum ?? 0) == 0) throw new OptimizerConfigurationException("Sgd", "Nesterov momentum needs momentum > 0.");
        return momentum is null or 0
            ? Chain(ScaleByLearningRate(learningRate))
            : Chain(Trace(momentum.Value, nesterov), ScaleByLearningRate(learningRate));
    }
}
