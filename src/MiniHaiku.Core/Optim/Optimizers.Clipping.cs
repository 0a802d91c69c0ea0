using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>Clips every update element to <c>[−maxDelta, maxDelta]</c> (<c>optax.clip</c>). Stateless.</summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.Clip(maxDelta: 0.5), Optimizers.Sgd(0.1));   // elementwise to [-0.5, 0.5]</code></example>
    /// <param name="maxDelta">The largest allowed magnitude; must not be negative.</param>
    /// <returns>The transformation.</returns>
    public static GradientTransformation Clip(double maxDelta)
    {
        if (!(maxDelta >= 0)) throw new OptimizerConfigurationException("Clip", $"maxDelta: must not be negative. (got {maxDelta})");
        return new(_ => OptState.Empty, (g, s, _) => (g.Map(t => t.ClampTo(-maxDelta, maxDelta)), s));
    }

    /// <summary>
    /// Rescales each update tensor whose root mean square exceeds <paramref name="threshold"/> down to it
    /// (<c>optax.clip_by_block_rms</c>): <c>u / max(1, rms(u) / threshold)</c>. Stateless.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.ClipByBlockRms(1.0), Optimizers.Sgd(0.1));</code></example>
    /// <param name="threshold">The largest allowed RMS per tensor; must be positive.</param>
    /// <returns>The transformation.</returns>
    public static GradientTransformation ClipByBlockRms(double threshold)
    {
        if (!(threshold > 0)) throw new OptimizerConfigurationException("ClipByBlockRms", $"threshold: must be positive. (got {threshold})");
        return new(_ => OptState.Empty, (g, s, _) => (g.Map(t =>
        {
            using var scope = torch.NewDisposeScope();
            var denominator = t.Squared().mean().sqrt().DividedBy(threshold).ClampMin(1.0);
            return t.div(denominator).MoveToOuterDisposeScope();
        }), s));
    }

    /// <summary>
    /// Adaptive gradient clipping (<c>optax.adaptive_grad_clip</c>, Brock et al. 2021): each unit of an
    /// update is rescaled so that its norm is at most <c>clipping · max(‖param unit‖, eps)</c>. Units are
    /// Optax's: whole scalars and vectors, columns of <c>[in, out]</c> (and <c>[heads, in, out]</c>)
    /// weights, output channels of <c>[h, w, in, out]</c> and <c>[d, h, w, in, out]</c> kernels; or
    /// reductions over <paramref name="axis"/> when given. Needs the parameters.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.AdaptiveGradClip(0.01), Optimizers.Sgd(0.1, momentum: 0.9));</code></example>
    /// <param name="clipping">The largest allowed ratio of update norm to parameter norm.</param>
    /// <param name="eps">The smallest parameter norm used, so zero-initialised parameters can move.</param>
    /// <param name="axis">The axes to reduce over, or null for Optax's per-rank default.</param>
    /// <returns>The transformation.</returns>
    /// <exception cref="MiniHaikuException">A tensor has more than five axes and no <paramref name="axis"/> is given.</exception>
    public static GradientTransformation AdaptiveGradClip(double clipping, double eps = 1e-3, long[]? axis = null)
    {
        var axes = axis?.ToArray();
        return new(_ => OptState.Empty, (g, s, p) =>
        {
            var ps = RequireParams(p, nameof(AdaptiveGradClip));
            return (g.Map((path, u) =>
            {
                using var scope = torch.NewDisposeScope();
                var gNorm = UnitwiseNorm(u, axes, path);
                var maxNorm = UnitwiseNorm(ps[path], axes, path).ClampMin(eps).TimesInPlace(clipping);
                var clipped = u.mul(maxNorm.div(gNorm.ClampMin(1e-6)));
                return torch.where(gNorm.lt(maxNorm), u, clipped).MoveToOuterDisposeScope();
            }), s);
        });
    }

    private static Tensor UnitwiseNorm(Tensor x, long[]? axis, string path)
    {
        long[] dims;
        if (axis is not null) dims = axis;
        else if (x.shape.Count(d => d != 1) <= 1) dims = Enumerable.Range(0, (int)x.dim()).Select(i => (long)i).ToArray();
        else dims = x.dim() switch
        {
            2 or 3 => [0],
            4 => [0, 1, 2],
            5 => [0, 1, 2, 3],
            _ => throw new OptimizerConfigurationException("AdaptiveGradClip", $"'{path}' has shape {ShapeText.Format(x.shape)}; without an explicit axis only 1- to 5-axis tensors are supported."),
        };
        var squared = dims.Length == 0 ? x.Squared() : x.Squared().sum(dims, keepdim: true);
        return squared.sqrt().expand(x.shape);
    }
}
