using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// Haiku's <c>hk.BatchApply</c>: merges the leading <c>numDims</c> axes of the inputs into one, runs a function built
/// for <c>[batch, ...]</c>, and splits the output's leading axis back, e.g. to apply a layer to every step of a
/// <c>[T, B, ...]</c> sequence at once. Inputs with fewer than <c>numDims</c> axes are passed unchanged. Not a module:
/// the function's own modules name the parameters.
/// </summary>
/// <example>
/// <code>
/// // x [T, B, 8] → [T, B, 4] with one Linear over all T·B rows.
/// return BatchApply.Call(h =&gt; Linear.Create(4).Call(h), x);
/// </code>
/// </example>
public static class BatchApply
{
    /// <summary>Applies <paramref name="f"/> to <paramref name="x"/> with its leading <paramref name="numDims"/> axes merged.</summary>
    /// <param name="f">A function of a batched input; its output's leading axis must have the merged size.</param>
    /// <param name="x">The input, with at least <paramref name="numDims"/> axes.</param>
    /// <param name="numDims">How many leading axes to merge (at least 1); Haiku's default 2.</param>
    /// <returns>A model producing <c>f</c>'s output with its leading axis split back into the input's leading shape.</returns>
    /// <exception cref="LayerConfigurationException"><paramref name="numDims"/> is below 1.</exception>
    /// <exception cref="LayerInputException">The input has too few axes, or the output's leading axis does not match.</exception>
    public static Model<Tensor> Call(Func<Tensor, Model<Tensor>> f, Tensor x, int numDims = 2)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(x);
        return Call(xs => f(xs[0]), [x], numDims);
    }

    /// <summary>Applies <paramref name="f"/> to several inputs, each with its leading <paramref name="numDims"/> axes merged.</summary>
    /// <param name="f">A function of the merged inputs, in order.</param>
    /// <param name="inputs">The inputs; those with at least <paramref name="numDims"/> axes must share their leading shape.</param>
    /// <param name="numDims">How many leading axes to merge (at least 1).</param>
    /// <returns>A model producing <c>f</c>'s output with its leading axis split back.</returns>
    /// <exception cref="LayerConfigurationException"><paramref name="numDims"/> is below 1.</exception>
    /// <exception cref="LayerInputException">No input has enough axes, the inputs' leading shapes differ, or the output's leading axis does not match.</exception>
    public static Model<Tensor> Call(Func<IReadOnlyList<Tensor>, Model<Tensor>> f, IReadOnlyList<Tensor> inputs, int numDims = 2)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(inputs);
        if (numDims < 1) throw new LayerConfigurationException(nameof(BatchApply), $"numDims must be at least 1, got {numDims}.");
        var exampleIndex = -1;
        for (var i = 0; i < inputs.Count && exampleIndex < 0; i++)
            if (inputs[i].dim() >= numDims) exampleIndex = i;
        if (exampleIndex < 0)
            throw new LayerInputException(nameof(BatchApply), $"needs at least one input with {numDims} or more axes, got shapes {string.Join(", ", inputs.Select(t => ShapeText.Format(t.shape)))}.");
        var leading = inputs[exampleIndex].shape[..numDims];
        var merged = new Tensor[inputs.Count];
        for (var i = 0; i < inputs.Count; i++)
        {
            var t = inputs[i];
            if (t.dim() < numDims)
            {
                merged[i] = t;
                continue;
            }
            if (!t.shape.AsSpan(0, numDims).SequenceEqual(leading))
                throw new LayerInputException(nameof(BatchApply), $"input {i} has leading axes {ShapeText.Format(t.shape[..numDims])}, but input {exampleIndex} has {ShapeText.Format(leading)}; the merged axes must agree.");
            merged[i] = t.reshape([-1, .. t.shape[numDims..]]);
        }
        var count = leading.Aggregate(1L, (a, b) => a * b);
        return f(merged).Select(y =>
        {
            if (y.dim() < 1 || y.shape[0] != count)
                throw new LayerInputException(nameof(BatchApply), $"the function's output of shape {ShapeText.Format(y.shape)} has no leading axis of the merged size {count} to split into {ShapeText.Format(leading)}.");
            return y.reshape([.. leading, .. y.shape[1..]]);
        });
    }
}
