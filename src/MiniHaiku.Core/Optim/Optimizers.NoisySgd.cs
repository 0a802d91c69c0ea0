using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Gradient noise (as <c>optax.add_noise</c>): <c>g + N(0, eta / t^gamma)</c> at update <c>t</c>
    /// (from 1). The noise of update <c>t</c> for a parameter comes from the key
    /// <c>RngKey.FromSeed(seed).Fold(t).Fold(path)</c>, so it is reproducible and needs no key in the state.
    /// </summary>
    internal static GradientTransformation GradientNoise(double eta, double gamma, long seed) =>
        new(_ => OptState.Empty, (grads, s, _) =>
        {
            var count = s.Count + 1;
            var std = Math.Sqrt(eta / Math.Pow(count, gamma));
            var stepKey = RngKey.FromSeed(seed).Fold(count);
            var updates = grads.Map((path, g) =>
            {
                using var generator = stepKey.Fold(path).CreateGenerator();
                using var noise = Internal.DeviceRandom.Randn(g.shape, g.dtype, g.device, generator);
                return g.PlusScaled(noise, std);
            });
            return (updates, s with { Count = count });
        });

    /// <summary>
    /// Noisy SGD (<c>optax.noisy_sgd</c>): SGD on gradients with annealed Gaussian noise of variance
    /// <c>eta / t^gamma</c>. Optax draws from a JAX key; here <paramref name="seed"/> seeds MiniHaiku's
    /// <see cref="RngKey"/> (the same seed gives the same noise on every run, not Optax's numbers).
    /// </summary>
    /// <example><code>var opt = Optimizers.NoisySgd(0.01, eta: 0.01, gamma: 0.55, seed: 0);</code></example>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>.</param>
    /// <param name="eta">The initial noise variance.</param>
    /// <param name="gamma">The decay exponent of the variance.</param>
    /// <param name="seed">Seeds the noise.</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation NoisySgd(Schedule learningRate, double eta = 0.01, double gamma = 0.55, long seed = 0) =>
        Chain(GradientNoise(eta, gamma, seed), ScaleByLearningRate(learningRate));
}
