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

    private static void ValidateState(Dictionary<string, long[]> gradShapes, OptState state, string prefix)
    {
        foreach (var (slot, values) in state.Slots)
            foreach (var (path, t) in values)
            {
                TensorChecks.RequireAlive(t, $"optimizer state entry '{prefix}{slot}/{path}'");
                if (!gradShapes.TryGetValue(path, out var gs))
                    throw new OptimizerStateException(
                        $"The optimizer state has a '{slot}' entry for '{path}' but the gradients have no '{path}': the state was made (Init) for other parameters than these gradients'.", path);
                var ss = t.shape;
                if (!ShapeText.SameShape(ss, gs))
                    throw new OptimizerStateException(
                        $"The gradient of '{path}' has shape {ShapeText.Format(gs)} but the optimizer state's '{slot}' entry has {ShapeText.Format(ss)}: the state was made (Init) for parameters of other shapes.", path);
            }
        for (var i = 0; i < state.Inner.Count; i++) ValidateState(gradShapes, state.Inner[i], prefix + i + "/");
    }

    public static void RequireSameShape(string path, Tensor grad, Tensor slotValue, string slotName)
    {
        long[] gs = grad.shape, ss = slotValue.shape;
        if (!ShapeText.SameShape(gs, ss))
            throw new OptimizerStateException(
                $"The gradient of '{path}' has shape {ShapeText.Format(gs)} but the optimizer state's '{slotName}' entry has {ShapeText.Format(ss)}: the state was made (Init) for parameters of other shapes.", path);
    }
}
