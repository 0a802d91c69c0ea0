using static TorchSharp.torch;

namespace MiniHaiku.Import;

/// <summary>
/// The layout conversions between PyTorch and Haiku/MiniHaiku weights, in both directions. Each returns a new
/// contiguous tensor and leaves its argument alone.
/// </summary>
/// <example>
/// <code>
/// var w = WeightLayouts.TorchLinearToHaiku(torchWeight);   // [out, in] → [in, out]
/// var k = WeightLayouts.OihwToHwio(torchKernel);           // [O, I, H, W] → [H, W, I, O]
/// </code>
/// </example>
public static class WeightLayouts
{
    /// <summary>PyTorch's <c>nn.Linear</c> weight <c>[out, in]</c> → Haiku's <c>[in, out]</c>.</summary>
    /// <param name="weight">A rank-2 tensor.</param>
    /// <returns>The transpose.</returns>
    public static Tensor TorchLinearToHaiku(Tensor weight) => Transpose2(weight, nameof(TorchLinearToHaiku));

    /// <summary>Haiku's linear weight <c>[in, out]</c> → PyTorch's <c>[out, in]</c>.</summary>
    /// <param name="weight">A rank-2 tensor.</param>
    /// <returns>The transpose.</returns>
    public static Tensor HaikuLinearToTorch(Tensor weight) => Transpose2(weight, nameof(HaikuLinearToTorch));

    /// <summary>
    /// A PyTorch convolution kernel <c>[O, I, spatial…]</c> (OIHW) → Haiku's <c>[spatial…, I, O]</c> (HWIO), for 1, 2 or 3
    /// (or more) spatial axes.
    /// </summary>
    /// <param name="kernel">A tensor of rank 3 or more.</param>
    /// <returns>The permuted kernel.</returns>
    public static Tensor OihwToHwio(Tensor kernel)
    {
        var r = RequireConv(kernel, nameof(OihwToHwio));
        var order = Enumerable.Range(2, r - 2).Select(i => (long)i).Append(1).Append(0).ToArray();
        return kernel.permute(order).contiguous();
    }

    /// <summary>Haiku's convolution kernel <c>[spatial…, I, O]</c> (HWIO) → PyTorch's <c>[O, I, spatial…]</c> (OIHW).</summary>
    /// <param name="kernel">A tensor of rank 3 or more.</param>
    /// <returns>The permuted kernel.</returns>
    public static Tensor HwioToOihw(Tensor kernel)
    {
        var r = RequireConv(kernel, nameof(HwioToOihw));
        var order = new long[] { r - 1, r - 2 }.Concat(Enumerable.Range(0, r - 2).Select(i => (long)i)).ToArray();
        return kernel.permute(order).contiguous();
    }

    /// <summary>Applies <paramref name="layout"/> to a PyTorch (or Haiku, for <see cref="WeightLayout.AsIs"/>) array.</summary>
    /// <param name="layout">The conversion.</param>
    /// <param name="tensor">The imported array.</param>
    /// <returns>A new tensor in Haiku's layout.</returns>
    /// <exception cref="WeightImportException">The array's rank does not fit the conversion.</exception>
    public static Tensor ToHaiku(WeightLayout layout, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return layout switch
        {
            WeightLayout.AsIs => tensor.alias(),
            WeightLayout.TorchLinear => TorchLinearToHaiku(tensor),
            WeightLayout.TorchConv => OihwToHwio(tensor),
            WeightLayout.TorchAuto => tensor.dim() switch
            {
                2 => TorchLinearToHaiku(tensor),
                >= 3 => OihwToHwio(tensor),
                _ => tensor.alias(),
            },
            _ => throw new WeightImportException($"Unknown weight layout {layout}: use one of {string.Join(", ", Enum.GetNames<WeightLayout>())}."),
        };
    }

    private static Tensor Transpose2(Tensor weight, string operation)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.dim() != 2)
            throw new WeightImportException($"{operation} needs a rank-2 weight, got shape {ShapeText.Format(weight.shape)}.");
        return weight.t().contiguous();
    }

    private static int RequireConv(Tensor kernel, string operation)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        if (kernel.dim() < 3)
            throw new WeightImportException($"{operation} needs a convolution kernel of rank 3 or more, got shape {ShapeText.Format(kernel.shape)}.");
        return (int)kernel.dim();
    }
}
