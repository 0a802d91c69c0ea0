using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// Adds a learned bias <c>b</c> (Haiku's <c>hk.Bias</c>), broadcast over the batch axis and over every axis not in
/// <see cref="BiasDims"/>. With <see cref="BiasDims"/> null, <c>b</c> has the input's shape without the batch axis;
/// otherwise it has the input's sizes on those axes and 1 on the others, with leading 1s dropped (Haiku's
/// <c>calculate_bias_shape</c>: <c>[B, H, W, C]</c> with <c>[-1]</c> gives <c>[C]</c>, with <c>[1]</c> gives
/// <c>[H, 1, 1]</c>); an empty list gives a scalar bias. Default zeros.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="OutputSize">The expected input shape without the batch axis, or null for any.</param>
/// <param name="BiasDims">The axes the bias varies along (not the batch axis 0), or null for all but the batch axis.</param>
/// <param name="BInit">The initializer of <c>b</c>; null for zeros.</param>
/// <example>
/// <code>
/// // x [N, 5]: b [5] at ~/Bias_0/__call__/b, added to every example.
/// return Bias.Create().Call(x);
/// </code>
/// </example>
public sealed record Bias(ModuleName Name, IReadOnlyList<long>? OutputSize, IReadOnlyList<int>? BiasDims, Initializer? BInit) : Layer(Name)
{
    /// <summary>Creates a bias module.</summary>
    /// <param name="outputSize">The expected input shape without the batch axis; null to accept any.</param>
    /// <param name="biasDims">The axes the bias varies along (negative counts from the end); null for all but the batch axis, empty for a scalar.</param>
    /// <param name="bInit">The initializer of <c>b</c>; default zeros.</param>
    /// <param name="name">An explicit module name, or null for <c>Bias_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="LayerConfigurationException">A non-positive output size.</exception>
    public static Model<Bias> Create(IReadOnlyList<long>? outputSize = null, IReadOnlyList<int>? biasDims = null, Initializer? bInit = null, string? name = null)
    {
        if (outputSize is not null && outputSize.Any(d => d < 1))
            throw new LayerConfigurationException(nameof(Bias), $"outputSize must hold positive sizes, got {ShapeText.Format(outputSize)}.");
        var size = outputSize?.ToArray();
        var dims = biasDims?.ToArray();
        return Hk.Module(n => new Bias(n, size, dims, bInit), name);
    }

    /// <summary>Adds the bias.</summary>
    /// <param name="x">An input <c>[batch, ...]</c> with at least two axes.</param>
    /// <returns>A model producing <c>x + b</c>.</returns>
    /// <exception cref="LayerInputException">Fewer than two axes, a shape other than <see cref="OutputSize"/>, or a bias axis that is the batch axis or out of range.</exception>
    protected override Model<Tensor> Forward(Tensor x) => Body(x, null);

    /// <summary>Adds the bias times <paramref name="multiplier"/> (Haiku's <c>multiplier</c>, e.g. −1 to subtract the same bias elsewhere).</summary>
    /// <param name="x">An input <c>[batch, ...]</c> with at least two axes.</param>
    /// <param name="multiplier">Multiplies the bias (anything that broadcasts with it, same dtype), or null for 1.</param>
    /// <returns>A model producing <c>x + b · multiplier</c>.</returns>
    /// <exception cref="LayerInputException">See <see cref="Forward(Tensor)"/>.</exception>
    public Model<Tensor> Call(Tensor x, Tensor? multiplier)
    {
        ArgumentNullException.ThrowIfNull(x);
        return Method(Body(x, multiplier), x);
    }

    private Model<Tensor> Body(Tensor x, Tensor? multiplier)
    {
        var shape = x.shape;
        if (shape.Length < 2)
            throw new LayerInputException(Name.Path, $"Bias needs an input [batch, ...] with at least two axes, got shape {ShapeText.Format(shape)}.");
        if (OutputSize is not null && !OutputSize.SequenceEqual(shape[1..]))
            throw new LayerInputException(Name.Path, $"Bias expects inputs of shape (-1, {string.Join(", ", OutputSize)}), got {ShapeText.Format(shape)}.");
        var bShape = BiasShape(shape);
        return
            from b in Hk.GetParam("b", bShape, BInit ?? Initializers.Zeros(), x.dtype)
            select x.Plus(multiplier is null ? b : b.mul(multiplier));
    }

    /// <summary>Adds the bias times a constant <paramref name="multiplier"/> (e.g. −1 to subtract it).</summary>
    /// <param name="x">An input <c>[batch, ...]</c> with at least two axes.</param>
    /// <param name="multiplier">Multiplies the bias.</param>
    /// <returns>A model producing <c>x + b · multiplier</c>.</returns>
    /// <exception cref="LayerInputException">See <see cref="Forward(Tensor)"/>.</exception>
    public Model<Tensor> Call(Tensor x, double multiplier)
    {
        ArgumentNullException.ThrowIfNull(x);
        return Call(x, torch.tensor(multiplier, dtype: x.dtype, device: x.device));
    }

    /// <summary>Haiku's <c>calculate_bias_shape</c>.</summary>
    private long[] BiasShape(long[] shape)
    {
        var rank = shape.Length;
        if (BiasDims is null) return shape[1..];
        if (BiasDims.Count == 0) return [];
        var full = Enumerable.Repeat(1L, rank).ToArray();
        foreach (var d in BiasDims)
        {
            var dim = d < 0 ? d + rank : d;
            if (dim == 0)
                throw new LayerInputException(Name.Path, $"Bias cannot vary along the batch axis 0 (biasDims [{string.Join(", ", BiasDims)}], input shape {ShapeText.Format(shape)}).");
            if (dim < 0 || dim >= rank)
                throw new LayerInputException(Name.Path, $"Bias axis {d} (biasDims [{string.Join(", ", BiasDims)}]) is out of range for an input of shape {ShapeText.Format(shape)}.");
            full[dim] = shape[dim];
        }
        // Strip the batch axis and the leading 1s (they broadcast).
        var start = Enumerable.Range(1, rank - 1).FirstOrDefault(i => full[i] != 1, rank);
        return full[start..];
    }
}

public static partial class LayerExtensions
{
    /// <summary>Creates the bias module and calls it with a multiplier.</summary>
    /// <param name="bias">The model creating the module.</param>
    /// <param name="x">The input.</param>
    /// <param name="multiplier">Multiplies the bias, or null.</param>
    /// <returns>A model producing the output.</returns>
    public static Model<Tensor> Call(this Model<Bias> bias, Tensor x, Tensor? multiplier)
    {
        ArgumentNullException.ThrowIfNull(bias);
        return bias.SelectMany(b => b.Call(x, multiplier));
    }
}
