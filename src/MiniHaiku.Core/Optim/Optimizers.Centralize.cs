using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Gradient centralization (<c>optax.centralize</c>, Yong et al. 2020): every update with two or more
    /// axes has its mean over all axes but the first subtracted; vectors and scalars pass unchanged. Stateless.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.Centralize(), Optimizers.Adam(1e-3));   // gradient centralization</code></example>
    /// <returns>The transformation.</returns>
    public static GradientTransformation Centralize() =>
        new(_ => OptState.Empty, (g, s, _) => (g.Map(t =>
        {
            if (t.dim() <= 1) return t;
            var axes = Enumerable.Range(1, (int)t.dim() - 1).Select(i => (long)i).ToArray();
            using var mean = t.mean(axes, keepdim: true);
            return t.Minus(mean);
        }), s));
}
