using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Adds annealed Gaussian noise to the updates (<c>optax.add_noise</c>, Neelakantan et al. 2015):
    /// at update <c>t = 1, 2, …</c> each update gets <c>N(0, eta / t^gamma)</c> noise. The noise of
    /// update <c>t</c> is drawn from <c>key.Fold(t)</c>, so a run is reproducible from its key and the
    /// state holds only the count.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.AddNoise(eta: 0.01, gamma: 0.55, seed: 0), Optimizers.Sgd(0.1));   // annealed gradient noise</code></example>
    /// <param name="eta">The initial variance.</param>
    /// <param name="gamma">The decay exponent of the variance.</param>
    /// <param name="key">The random key (Optax's <c>key</c>).</param>
    /// <returns>The transformation.</returns>
    public static GradientTransformation AddNoise(double eta, double gamma, RngKey key)
    {
        if (!(eta >= 0)) throw new OptimizerConfigurationException("AddNoise", $"eta: must not be negative. (got {eta})");
        return new(_ => OptState.Empty, (g, s, _) =>
        {
            var count = s.Count + 1;
            var std = Math.Sqrt(eta / Math.Pow(count, gamma));
            using var generator = key.Fold(count).CreateGenerator();
            var updates = g.Map(t =>
            {
                using var noise = Internal.DeviceRandom.Randn(t.shape, t.dtype, t.device, generator);
                return t.PlusScaled(noise, std);
            });
            return (updates, s with { Count = count });
        });
    }

    /// <summary>
    /// <see cref="AddNoise(double, double, RngKey)"/> with the key <c>RngKey.FromSeed(seed)</c>.
    /// </summary>
    /// <param name="eta">The initial variance.</param>
    /// <param name="gamma">The decay exponent of the variance.</param>
    /// <param name="seed">The seed of the random key.</param>
    /// <returns>The transformation.</returns>
    public static GradientTransformation AddNoise(double eta, double gamma, long seed) => AddNoise(eta, gamma, RngKey.FromSeed(seed));
}
