using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// Haiku's <c>hk.expand_apply</c>: adds a size-1 axis to the input (first or last), runs a function built for the
/// larger rank, and removes that axis from the output, e.g. to apply a <c>[T, B, ...]</c> function to one step.
/// </summary>
/// <example>
/// <code>
/// // x [F] → [4]: the Linear runs on [1, F] and the added axis is squeezed back.
/// return ExpandApply.Call(h =&gt; Linear.Create(4).Call(h), x);
/// </code>
/// </example>
public static class ExpandApply
{
    /// <summary>Applies <paramref name="f"/> to <paramref name="x"/> with a size-1 axis added at <paramref name="axis"/>.</summary>
    /// <param name="f">A function of the expanded input; its output keeps the size-1 axis at <paramref name="axis"/>.</param>
    /// <param name="x">The input.</param>
    /// <param name="axis">0 (default) or -1, as in Haiku.</param>
    /// <returns>A model producing <c>f</c>'s output without the added axis.</returns>
    /// <exception cref="LayerConfigurationException"><paramref name="axis"/> is not 0 or -1.</exception>
    /// <exception cref="LayerInputException">The output has no size-1 axis there.</exception>
    public static Model<Tensor> Call(Func<Tensor, Model<Tensor>> f, Tensor x, int axis = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(x);
        if (axis is not (0 or -1))
            throw new LayerConfigurationException(nameof(ExpandApply), $"supports only axis 0 or -1, as Haiku's expand_apply, got {axis}.");
        return f(x.unsqueeze(axis)).Select(y =>
        {
            if (y.dim() < 1 || y.shape[axis == 0 ? 0 : ^1] != 1)
                throw new LayerInputException(nameof(ExpandApply), $"the function's output of shape {ShapeText.Format(y.shape)} has no size-1 axis at {axis} to remove.");
            return y.squeeze(axis);
        });
    }
}
