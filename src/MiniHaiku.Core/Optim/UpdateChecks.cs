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
    /// <remarks>
    /// Every <see cref="Params"/> is sorted ordinally, so gradients, parameters and each slot are compared in one merged
    /// walk: no dictionary, no per-key lookup, nothing allocated beyond the shapes of gradients and parameters.
    /// </remarks>
    public static void Validate(Params grads, OptState state, Params? parameters)
    {
        foreach (var (path, g) in grads.Items) TensorChecks.RequireAlive(g, $"the gradient of '{path}'");
        if (parameters is not null) ValidateParameters(grads, parameters);
        ValidateState(grads, state, "");
    }

    private static void ValidateParameters(Params grads, Params parameters)
    {
        string? extraGradient = null;
        using var ge = grads.Items.GetEnumerator();
        var hasGrad = ge.MoveNext();
        foreach (var (path, p) in parameters.Items)
        {
            TensorChecks.RequireAlive(p, $"parameter '{path}' (given to Update)");
            while (hasGrad && string.CompareOrdinal(ge.Current.Key, path) < 0)
            {
                extraGradient ??= ge.Current.Key;
                hasGrad = ge.MoveNext();
            }
            if (!hasGrad || !string.Equals(ge.Current.Key, path, StringComparison.Ordinal))
                throw new OptimizerStateException(
                    $"Update was given the parameter '{path}' but no gradient for it: gradients and parameters must have the same keys (compute the gradients of these parameters).", path);
            long[] gs = ge.Current.Value.shape, ps = p.shape;
            if (!ShapeText.SameShape(ps, gs))
                throw new OptimizerStateException(
                    $"The gradient of '{path}' has shape {ShapeText.Format(gs)} but the parameter has {ShapeText.Format(ps)}: the gradients were computed for other parameters.", path);
            hasGrad = ge.MoveNext();
        }
        if (hasGrad) extraGradient ??= ge.Current.Key;
        if (extraGradient is not null)
            throw new OptimizerStateException(
                $"Update was given a gradient for '{extraGradient}' but no such parameter: gradients and parameters must have the same keys.", extraGradient);
    }

    // Per-parameter slots are checked for keys only: a slot some of whose keys are gradient paths must hold
    // every gradient path it names (Adam's "mu" for '~/b' with no gradient for '~/b'). Slots keyed otherwise
    // (Flatten's "flat", a line search's "learning_rate") are the transformation's own business. Shapes are
    // not checked up front, because many slots are legitimately not parameter-shaped (Adafactor's factored
    // moments, SM3's accumulators, L-BFGS's memories, Novograd's per-tensor norms); a shape that does not fit
    // makes the arithmetic fail, and Explain then names the path and both shapes.
    private static void ValidateState(Params grads, OptState state, string prefix)
    {
        foreach (var (slot, values) in state.Slots)
        {
            var perParameter = false;
            string? foreign = null;
            using var ge = grads.Items.GetEnumerator();
            var hasGrad = ge.MoveNext();
            foreach (var (path, t) in values.Items)
            {
                TensorChecks.RequireAlive(t, $"optimizer state entry '{prefix}{slot}/{path}'");
                while (hasGrad && string.CompareOrdinal(ge.Current.Key, path) < 0) hasGrad = ge.MoveNext();
                if (hasGrad && string.Equals(ge.Current.Key, path, StringComparison.Ordinal)) perParameter = true;
                else foreign ??= path;
            }
            if (perParameter && foreign is not null)
                throw new OptimizerStateException(
                    $"The optimizer state has a '{slot}' entry for '{foreign}' but the gradients have no '{foreign}': the state was made (Init) for other parameters than these gradients'.", foreign);
        }
        for (var i = 0; i < state.Inner.Count; i++) ValidateState(grads, state.Inner[i], prefix + i + "/");
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
