using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    private const string LearningRateKey = "learning_rate";

    /// <summary>
    /// A backtracking line search for the Armijo sufficient-decrease condition
    /// (<c>optax.scale_by_backtracking_linesearch</c>): starting from
    /// <c>min(increaseFactor · previous step, maxLearningRate)</c>, the step <c>η</c> is multiplied by
    /// <paramref name="decreaseFactor"/> until <c>f(p + η u) ≤ (1 + rtol) f(p) + η · slopeRtol · ⟨u, ∇f(p)⟩ + atol</c>
    /// (at most <paramref name="maxBacktrackingSteps"/> times); the updates become <c>η u</c> (0 if every
    /// trial was infinite or NaN). Optax receives <c>value</c>, <c>grad</c> and <c>value_fn</c> as
    /// arguments of <c>update</c>; here <paramref name="valueFunction"/> gives all three (the value and
    /// gradient at the parameters passed to <c>Update</c> cost one forward and backward pass, each trial one forward pass).
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.Sgd(1.0), Optimizers.ScaleByBacktrackingLinesearch(lossFn, maxBacktrackingSteps: 15));</code></example>
    /// <param name="valueFunction">The objective (a scalar tensor) of the parameters.</param>
    /// <param name="maxBacktrackingSteps">The most reductions of the step per update.</param>
    /// <param name="slopeRtol">The fraction of the linear decrease required.</param>
    /// <param name="decreaseFactor">Multiplies the step after a failed trial.</param>
    /// <param name="increaseFactor">Multiplies the previous accepted step to give the first trial.</param>
    /// <param name="maxLearningRate">The largest first trial.</param>
    /// <param name="atol">The absolute tolerance of the decrease condition.</param>
    /// <param name="rtol">The relative tolerance of the decrease condition.</param>
    /// <returns>The transformation, with slot <c>learning_rate</c> (the accepted step, one float64 under key <c>learning_rate</c>).</returns>
    public static GradientTransformation ScaleByBacktrackingLinesearch(Func<Params, Tensor> valueFunction, int maxBacktrackingSteps, double slopeRtol = 1e-4,
        double decreaseFactor = 0.8, double increaseFactor = 1.5, double maxLearningRate = 1.0, double atol = 0, double rtol = 0)
    {
        ArgumentNullException.ThrowIfNull(valueFunction);
        if (maxBacktrackingSteps < 0) throw new OptimizerConfigurationException("BacktrackingLinesearch", $"maxBacktrackingSteps: must not be negative. (got {maxBacktrackingSteps})");
        var valueAndGrad = Grad.ValueAndGrad(valueFunction);
        double Value(Params q)
        {
            using var v = valueFunction(q);
            if (v.numel() != 1) throw new OptimizerConfigurationException("ScaleByBacktrackingLinesearch", $"the objective must return one value, got shape {ShapeText.Format(v.shape)}.");
            return v.to_type(ScalarType.Float64).item<double>();
        }
        return new(_ => OptState.WithSlots(("learning_rate", Params.Create([new(LearningRateKey, torch.tensor(1.0, ScalarType.Float64))]))), (updates, s, p) =>
        {
            var ps = RequireParams(p, nameof(ScaleByBacktrackingLinesearch));
            double value;
            Params grad;
            using (torch.enable_grad())
            {
                var (v, g) = valueAndGrad(ps);
                value = v.to_type(ScalarType.Float64).item<double>();
                grad = g;
            }
            var slope = Vdot(updates, grad);
            var previous = SlotEntry(s.Slot("learning_rate"), "learning_rate", LearningRateKey).item<double>();
            var step = Math.Min(increaseFactor * previous, maxLearningRate);
            var decreaseError = double.PositiveInfinity;
            for (var iteration = 0; !(decreaseError <= atol) && iteration <= maxBacktrackingSteps; iteration++)
            {
                if (iteration > 0) step *= decreaseFactor;
                var trial = ps.Map((path, t) => updates.TryGetValue(path, out var u) ? t.PlusScaled(u, step) : t);
                var error = Value(trial) - (1 + rtol) * value - step * slopeRtol * slope;
                decreaseError = double.IsNaN(error) ? double.PositiveInfinity : Math.Max(error, 0);
            }
            var accepted = double.IsInfinity(decreaseError) ? 0.0 : step;
            var slots = s.Slots.SetItem("learning_rate", Params.Create([new(LearningRateKey, torch.tensor(accepted, ScalarType.Float64))]));
            return (updates.Map(u => u.Times(accepted)), s with { Count = s.Count + 1, Slots = slots });
        });
    }
}
