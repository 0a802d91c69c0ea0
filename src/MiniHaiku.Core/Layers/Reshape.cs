using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// Reshapes all but the first <see cref="PreserveDims"/> axes to <see cref="OutputShape"/> (Haiku's
/// <c>hk.Reshape</c>); one entry of <see cref="OutputShape"/> may be -1 to be inferred. No parameters. A negative
/// <see cref="PreserveDims"/> is, as in Haiku, the number of trailing axes to replace with <see cref="OutputShape"/>.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="OutputShape">The shape of the trailing axes.</param>
/// <param name="PreserveDims">How many leading axes to keep.</param>
/// <example>
/// <code>
/// return Reshape.Create([-1, 4]).Call(x);   // [N, 8] → [N, 2, 4]
/// </code>
/// </example>
public sealed record Reshape(ModuleName Name, IReadOnlyList<long> OutputShape, int PreserveDims) : Layer(Name)
{
    /// <summary>Creates a reshape module.</summary>
    /// <param name="outputShape">The trailing shape; at most one -1.</param>
    /// <param name="preserveDims">How many leading axes to keep (at least 0), or minus the number of trailing axes to reshape.</param>
    /// <param name="name">An explicit module name, or null for <c>Reshape_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<Reshape> Create(IReadOnlyList<long> outputShape, int preserveDims = 1, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(outputShape);
        if (outputShape.Count(d => d == -1) > 1 || outputShape.Any(d => d < -1 || d == 0))
            throw new LayerConfigurationException(nameof(Reshape), $"outputShape {ShapeText.Format(outputShape)} must hold positive sizes and at most one -1.");
        var copy = outputShape.ToArray();
        return Hk.Module(n => new Reshape(n, copy, preserveDims), name);
    }

    /// <summary>Reshapes the trailing axes.</summary>
    /// <param name="x">The input, with at least <see cref="PreserveDims"/> axes.</param>
    /// <returns>A model producing the reshaped input.</returns>
    /// <exception cref="LayerInputException">The element counts do not match.</exception>
    protected override Model<Tensor> Forward(Tensor x)
    {
        var shape = x.shape;
        if (shape.Length < PreserveDims)
            throw new LayerInputException(Name.Path, $"input {ShapeText.Format(shape)} has fewer than {PreserveDims} axes to preserve.");
        var keep = PreserveDims >= 0 ? PreserveDims : Math.Max(shape.Length + PreserveDims, 0);
        long rest = 1, known = 1;
        for (var i = keep; i < shape.Length; i++) rest *= shape[i];
        foreach (var d in OutputShape) if (d != -1) known *= d;
        var target = OutputShape.ToArray();
        var inferred = Array.IndexOf(target, -1L);
        if (inferred >= 0 ? known == 0 || rest % known != 0 : known != rest)
            throw new LayerInputException(Name.Path, $"cannot reshape the trailing axes of {ShapeText.Format(shape)} ({rest} elements) to {ShapeText.Format(target)}.");
        if (inferred >= 0) target[inferred] = rest / known;
        return Hk.Pure(x.reshape([.. shape[..keep], .. target]));
    }
}
