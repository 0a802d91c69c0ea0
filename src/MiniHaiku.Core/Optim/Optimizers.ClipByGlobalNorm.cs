using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Rescales all updates together so that their global L2 norm is at most <paramref name="maxNorm"/>
    /// (<c>optax.clip_by_global_norm</c>): unchanged when the norm is below it, else multiplied by
    /// <c>maxNorm / norm</c>. Stateless.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.ClipByGlobalNorm(1.0), Optimizers.Adam(1e-3));</code></example>
    /// <param name="maxNorm">The largest allowed global norm; must be positive.</param>
    /// <returns>The transformation.</returns>
    public static GradientTransformation ClipByGlobalNorm(double maxNorm)
    {
        if (!(maxNorm > 0)) throw new OptimizerConfigurationException(nameof(ClipByGlobalNorm), $"maxNorm must be positive, got {maxNorm}.");
        return new GradientTransformation(_ => OptState.Empty, (grads, s, _) =>
        {
            using var normTensor = grads.GlobalNorm();
            var norm = normTensor.item<double>();
            if (norm <= maxNorm) return (grads, s);
            var factor = maxNorm / norm;
            return (grads.Map(g => g.Times(factor)), s);
        }).WithFlat(new FlatClipByGlobalNorm(maxNorm));
    }
}
