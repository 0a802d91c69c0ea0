using static TorchSharp.torch;

namespace MiniHaiku.Optim;

/// <summary>
/// What <see cref="GradientTransformation.Update(Params, OptState, Params?)"/> checks before any tensor arithmetic, so that gradients,
/// state and parameters that do not fit together give an <see cref="OptimizerStateException"/> naming the
/// path and the shapes (TorchSharp would raise an opaque native error without them), and a disposed tensor a
/// <see cref="DisposedTensorException"/>.
/// </summary>
internal static class UpdateChecks
{
    public static void Validate(Params grads, OptState state, Params? parameters)
    {
        var gradShapes = new Dictionary<string, long[]>(grads.Count, StringComparer.Ordinal);
        foreach (var (path, g) in grads)
        {
            TensorChecks.RequireAlive(g, $"the gradient of '{path}'");
            gradShapes[path] = g.shape;
        }
        if (parameters is not null)
        {
            foreach (var (path, p) in parameters)
            {
                TensorChecks.RequireAlive(p, $"parameter '{path}' (given to Update)");
                if (!gradShapes.TryGetValue(path, out var gs))
                    throw new OptimizerStateException(
                        $"Update was given the parameter '{path}' but no gradient for it: gradients and parameters must have the same keys (compute the gradients of these parameters).", path);
                var ps = p.shape;
                if (!ShapeText.SameShape(ps, gs))
                    throw new OptimizerStateException(
                        $"The gradient of '{path}' has shape {ShapeText.Format(gs)} but the parameter has {ShapeText.Format(ps)}: the gradients were computed for other parameters.", path);
            }
            foreach (var path in gradShapes.Keys)
                if (!parameters.ContainsKey(path))
                    throw new OptimizerStateException(
                        $"Update was given a gradient for '{path}' but no such parameter: gradients and parameters must have the same keys.", path);
        }
        ValidateState(gradShapes, state, "");
    }

    // Per-parameter slots are checked for keys only: a slot some of whose keys are gradient paths must hold
    // every gradient path it names (Adam's "mu" for '~/b' with no gradient for '~/b'). Slots keyed otherwise
    // (Flatten's "flat", a line search's "learning_rate") are the transformation's own business. Shapes are
    // not checked up front, because many slots are legitimately not parameter-shaped (Adafactor's factored
    // moments, SM3's accumulators, L-BFGS's memories, Novograd's per-tensor norms); a shape that does not fit
    // makes the arithmetic fail, and Explain then names the path and both shapes.
    private static void ValidateState(Dictionary<string, long[]> gradShapes, OptState state, string prefix)
    {
        foreach (var (slot, values) in state.Slots)
        {
            var perParameter = false;
            foreach (var (path, t) in values)
            {
                TensorChecks.RequireAlive(t, $"optimizer state entry '{prefix}{slot}/{path}'");
                perParameter |= gradShapes.ContainsKey(path);
            }
            if (!perParameter) continue;
            foreach (var (path, _) in values)
                if (!gradShapes.ContainsKey(path))
                    throw new OptimizerStateException(
                        $"The optimizer state has a '{slot}' entry for '{path}' but the gradients have no '{path}': the state was made (Init) for other parameters than these gradients'.", path);
        }
        for (var i = 0; i < state.Inner.Count; i++) ValidateState(gradShapes, state.Inner[i], prefix + i + "/");
    }

    /// <summary>
    /// Turns a TorchSharp error raised by an update's arithmetic into an <see cref="OptimizerStateException"/>:
    /// it names the first per-parameter state entry whose shape differs from its gradient's (same rank first),
    /// or, when none does, says what to check, keeping the first line of the native message.
    /// </summary>
    public static OptimizerStateException Explain(Params grads, OptState state, Exception error)
    {
        (string Path, string Slot, long[] Grad, long[] Slot_)? best = null;
        var bestRank = false;
        void Search(OptState s)
        {
            foreach (var (slot, values) in s.Slots)
                foreach (var (path, t) in values)
                {
                    if (!grads.TryGetValue(path, out var g) || t.IsInvalid) continue;
                    long[] gs = g.shape, ts = t.shape;
                    if (ShapeText.SameShape(gs, ts)) continue;
                    var sameRank = gs.Length == ts.Length;
                    if (best is null || (sameRank && !bestRank)) { best = (path, slot, gs, ts); bestRank = sameRank; }
                }
            foreach (var inner in s.Inner) Search(inner);
        }
        Search(state);
        var firstLine = Hk.FirstLine(error.Message);
        return best is { } b
            ? new OptimizerStateException(
                $"The gradient of '{b.Path}' has shape {ShapeText.Format(b.Grad)} but the optimizer state's '{b.Slot}' entry has {ShapeText.Format(b.Slot_)}: the state was made (Init) for parameters of other shapes. (TorchSharp: {firstLine})", b.Path, error)
            : new OptimizerStateException(
                $"The optimizer could not update these gradients (TorchSharp: {firstLine}). Check that the gradients have the keys, shapes and dtypes of the parameters the state was made (Init) for.", null, error);
    }

    public static void RequireSameShape(string path, Tensor grad, Tensor slotValue, string slotName)
    {
        long[] gs = grad.shape, ss = slotValue.shape;
        if (!ShapeText.SameShape(gs, ss))
            throw new OptimizerStateException(
                $"The gradient of '{path}' has shape {ShapeText.Format(gs)} but the optimizer state's '{slotName}' entry has {ShapeText.Format(ss)}: the state was made (Init) for parameters of other shapes.", path);
    }
}
