using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>The float64 machine epsilon (NumPy's <c>finfo(float).eps</c>).</summary>
    private const double MachineEpsilon = 2.220446049250313e-16;

    /// <summary>
    /// The Polyak step size (<c>optax.scale_by_polyak</c>): multiplies the updates by
    /// <c>min((f(p) - fMin) / (‖u‖² + eps), maxLearningRate)</c>, or by 0 when <c>‖u‖² + eps</c> is
    /// below machine epsilon. Optax receives <c>f(p)</c> as the <c>value</c> argument of
    /// <c>update</c>; here <paramref name="value"/> computes it from the parameters passed to <c>Update</c>.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.ScaleByPolyak(lossFn, fMin: 0), Optimizers.Scale(-1));   // Polyak step size</code></example>
    /// <param name="value">The objective, evaluated at the parameters given to <c>Update</c> (a scalar tensor).</param>
    /// <param name="fMin">A lower bound of the objective.</param>
    /// <param name="maxLearningRate">The largest step size.</param>
    /// <param name="eps">Added to the squared norm.</param>
    /// <param name="variant">"sps" or "sps+" (the gap <c>f - fMin</c> clipped at 0).</param>
    /// <returns>The transformation.</returns>
    /// <exception cref="OptimizerConfigurationException">An unknown <paramref name="variant"/>.</exception>
    public static GradientTransformation ScaleByPolyak(Func<Params, Tensor> value, double fMin = 0, double maxLearningRate = 1, double eps = 0, string variant = "sps")
    {
        ArgumentNullException.ThrowIfNull(value);
        if (variant is not ("sps" or "sps+")) throw new OptimizerConfigurationException("PolyakSgd", $"Polyak variant must be \"sps\" or \"sps+\", got \"{variant}\".");
        return new(_ => OptState.Empty, (updates, s, p) =>
        {
            var ps = RequireParams(p, nameof(ScaleByPolyak));
            double f;
            using (var v = value(ps))
            {
                if (v.numel() != 1) throw new OptimizerConfigurationException("PolyakSgd", $"the objective must return one value, got shape {ShapeText.Format(v.shape)}.");
                f = v.to_type(ScalarType.Float64).item<double>();
            }
            var squaredNorm = updates.Values.Sum(u => { using var n = u.to_type(ScalarType.Float64).Squared().sum(); return n.item<double>(); });
            var gap = f - fMin;
            if (variant == "sps+") gap = Math.Max(gap, 0);
            var step = squaredNorm + eps <= MachineEpsilon ? 0.0 : Math.Min(gap / (squaredNorm + eps), maxLearningRate);
            return (updates.Map(u => u.Times(step)), s);
        });
    }

    /// <summary>
    /// SGD with Polyak step sizes (<c>optax.polyak_sgd</c>): <c>p -= scaling · min((f(p) - fMin) / ‖g‖², maxLearningRate) · g</c>
    /// (the norm of the scaled gradient). Pass the parameters to <c>Update</c>; the objective is
    /// evaluated there (Optax passes it as <c>value</c>).
    /// </summary>
    /// <example><code>var opt = Optimizers.PolyakSgd(lossFn, maxLearningRate: 1.0);   // the step from the current loss</code></example>
    /// <param name="value">The objective whose gradients are passed to <c>Update</c>.</param>
    /// <param name="maxLearningRate">The largest step size.</param>
    /// <param name="scaling">A constant or a <see cref="Schedule"/> multiplying the step.</param>
    /// <param name="fMin">A lower bound of the objective.</param>
    /// <param name="eps">Added to the squared gradient norm.</param>
    /// <param name="variant">"sps" or "sps+".</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation PolyakSgd(Func<Params, Tensor> value, double maxLearningRate = 1, Schedule? scaling = null, double fMin = 0, double eps = 0, string variant = "sps") =>
        Chain(Sgd(scaling ?? 1.0), ScaleByPolyak(value, fMin, maxLearningRate, eps, variant));
}
