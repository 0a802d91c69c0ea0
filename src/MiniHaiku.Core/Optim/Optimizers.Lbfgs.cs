using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    private const string LbfgsKey = "lbfgs";

    /// <summary>
    /// L-BFGS preconditioning (<c>optax.scale_by_lbfgs</c>): keeps the last <paramref name="memorySize"/>
    /// parameter and gradient differences and applies the two-loop recursion to the gradient. The
    /// initial inverse Hessian is <c>γ I</c> with <c>γ = ⟨s, y⟩ / ‖y‖²</c> of the newest pair
    /// (<paramref name="scaleInitPrecond"/>; at the first step <c>min(1, 1/‖g‖)</c>), else <c>I</c>. Needs the parameters.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.ScaleByLbfgs(memorySize: 10), Optimizers.ScaleByLearningRate(0.5));</code></example>
    /// <param name="memorySize">How many difference pairs are kept; at least 1.</param>
    /// <param name="scaleInitPrecond">Scale the initial inverse Hessian.</param>
    /// <returns>The transformation (a descent direction that still has to be negated), with slots
    /// <c>params</c>, <c>updates</c>, <c>diff_params_memory</c>, <c>diff_updates_memory</c> (each
    /// <c>[memorySize, ...shape]</c>) and <c>weights_memory</c> (one <c>[memorySize]</c> float64 tensor under key <c>lbfgs</c>).</returns>
    /// <exception cref="OptimizerConfigurationException"><paramref name="memorySize"/> is below 1.</exception>
    public static GradientTransformation ScaleByLbfgs(int memorySize = 10, bool scaleInitPrecond = true)
    {
        if (memorySize < 1) throw new OptimizerConfigurationException("Lbfgs", $"memorySize: must be at least 1. (got {memorySize})");
        return new(p => OptState.WithSlots(
                ("params", p.ZerosLike()),
                ("updates", p.ZerosLike()),
                ("diff_params_memory", p.Map(t => torch.zeros([memorySize, .. t.shape], t.dtype))),
                ("diff_updates_memory", p.Map(t => torch.zeros([memorySize, .. t.shape], t.dtype))),
                ("weights_memory", Params.Create([new(LbfgsKey, torch.zeros([memorySize], ScalarType.Float64))]))),
            (grads, s, p) =>
            {
                var ps = RequireParams(p, nameof(ScaleByLbfgs));
                var count = s.Count;
                var memoryIndex = (int)(count % memorySize);
                var previousIndex = (int)(((count - 1) % memorySize + memorySize) % memorySize);
                var oldParams = s.Slot("params");
                var oldUpdates = s.Slot("updates");
                var diffParams = grads.Map((path, _) => count > 0 ? ps[path].Minus(SlotEntry(oldParams, "params", path)) : torch.zeros_like(ps[path]));
                var diffUpdates = grads.Map((path, g) => count > 0 ? g.Minus(SlotEntry(oldUpdates, "updates", path)) : torch.zeros_like(g));
                var sy = Vdot(diffUpdates, diffParams);
                var weight = sy == 0 ? 0.0 : 1.0 / sy;

                var dpMemory = s.Slot("diff_params_memory").Map((path, m) => { var c = m.clone(); c[previousIndex].copy_(diffParams[path]); return c; });
                var duMemory = s.Slot("diff_updates_memory").Map((path, m) => { var c = m.clone(); c[previousIndex].copy_(diffUpdates[path]); return c; });
                var weights = SlotEntry(s.Slot("weights_memory"), "weights_memory", LbfgsKey).clone();
                weights[previousIndex] = weight;
                var rhos = weights.data<double>().ToArray();

                double identityScale = 1.0;
                if (scaleInitPrecond)
                {
                    if (count > 0)
                    {
                        var yy = Vdot(diffUpdates, diffUpdates);
                        identityScale = yy > 0 ? sy / yy : 1.0;
                    }
                    else
                    {
                        var norm = Math.Sqrt(Vdot(grads, grads));
                        identityScale = Math.Min(1.0, 1.0 / norm);
                    }
                }

                // Two-loop recursion, oldest entry at memoryIndex, newest at previousIndex.
                var order = Enumerable.Range(0, memorySize).Select(i => (memoryIndex + i) % memorySize).ToArray();
                var vec = grads.Map(g => g.clone());
                var alphas = new double[memorySize];
                for (var k = memorySize - 1; k >= 0; k--)
                {
                    var i = order[k];
                    alphas[k] = rhos[i] * Vdot(dpMemory, vec, i);
                    if (alphas[k] != 0) foreach (var (path, v) in vec) v.PlusScaledInPlace(duMemory[path][i], -alphas[k]);
                }
                foreach (var v in vec.Values) v.TimesInPlace(identityScale);
                for (var k = 0; k < memorySize; k++)
                {
                    var i = order[k];
                    var beta = rhos[i] * Vdot(duMemory, vec, i);
                    if (alphas[k] - beta != 0) foreach (var (path, v) in vec) v.PlusScaledInPlace(dpMemory[path][i], alphas[k] - beta);
                }

                var slots = s.Slots
                    .SetItem("params", ps.Where(grads.ContainsKey).Map(t => t.clone()))
                    .SetItem("updates", grads.Map(g => g.clone()))
                    .SetItem("diff_params_memory", dpMemory)
                    .SetItem("diff_updates_memory", duMemory)
                    .SetItem("weights_memory", Params.Create([new(LbfgsKey, weights)]));
                return (vec, new OptState(count + 1, slots, s.Inner));
            });
    }

    /// <summary>⟨a, b⟩ over every entry, in float64.</summary>
    internal static double Vdot(Params a, Params b) =>
        a.Sum(kv => { using var d = kv.Value.to_type(ScalarType.Float64).mul(b[kv.Key].to_type(ScalarType.Float64)).sum(); return d.item<double>(); });

    /// <summary>⟨memory[·][index], b⟩ over every entry, in float64.</summary>
    private static double Vdot(Params memory, Params b, int index) =>
        b.Sum(kv => { using var d = memory[kv.Key][index].to_type(ScalarType.Float64).mul(kv.Value.to_type(ScalarType.Float64)).sum(); return d.item<double>(); });

    /// <summary>
    /// L-BFGS (<c>optax.lbfgs</c>) without a line search: <see cref="ScaleByLbfgs"/>, then
    /// <c>-learningRate</c> (or <c>-1</c> when null). Optax's default adds a zoom line search that calls
    /// the objective (<c>value_fn</c>), which <c>Update</c> does not receive: here the step size is the
    /// learning rate (as <c>optax.lbfgs(linesearch=None)</c> and <c>torch.optim.LBFGS</c> without
    /// <c>line_search_fn</c>); the overload taking the objective adds a backtracking line search. Pass the parameters to <c>Update</c>.
    /// </summary>
    /// <example><code>var opt = Optimizers.Lbfgs(learningRate: 0.5);   // a fixed step; Lbfgs(lossFn) adds a line search</code></example>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>; null for a unit step.</param>
    /// <param name="memorySize">How many difference pairs are kept.</param>
    /// <param name="scaleInitPrecond">Scale the initial inverse Hessian.</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation Lbfgs(Schedule? learningRate = null, int memorySize = 10, bool scaleInitPrecond = true) =>
        Chain(ScaleByLbfgs(memorySize, scaleInitPrecond), ScaleByLearningRate(learningRate ?? 1.0));

    /// <summary>
    /// L-BFGS with a line search on <paramref name="valueFunction"/> (<c>optax.lbfgs</c> with
    /// <c>linesearch=scale_by_backtracking_linesearch(maxLinesearchSteps)</c>): <see cref="ScaleByLbfgs"/>,
    /// <c>-learningRate</c> (or <c>-1</c>), then <see cref="ScaleByBacktrackingLinesearch"/>. Optax's default
    /// is a zoom line search for the strong Wolfe conditions; this one checks sufficient decrease only.
    /// Pass the parameters to <c>Update</c>; the gradients passed must be those of <paramref name="valueFunction"/>.
    /// </summary>
    /// <param name="valueFunction">The objective (a scalar tensor) of the parameters.</param>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>; null for a unit step.</param>
    /// <param name="memorySize">How many difference pairs are kept.</param>
    /// <param name="scaleInitPrecond">Scale the initial inverse Hessian.</param>
    /// <param name="maxLinesearchSteps">The most step reductions per update (Optax's default 20).</param>
    /// <returns>The optimizer.</returns>
    /// <example><code>var opt = Optimizers.Lbfgs(lossFn);  // then opt.Update(Grad.Gradient(lossFn)(p), optState, p)</code></example>
    public static GradientTransformation Lbfgs(Func<Params, Tensor> valueFunction, Schedule? learningRate = null, int memorySize = 10, bool scaleInitPrecond = true, int maxLinesearchSteps = 20) =>
        Chain(ScaleByLbfgs(memorySize, scaleInitPrecond), ScaleByLearningRate(learningRate ?? 1.0),
            ScaleByBacktrackingLinesearch(valueFunction, maxLinesearchSteps));
}
