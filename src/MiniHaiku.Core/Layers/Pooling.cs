using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// The implementation shared by <see cref="MaxPool"/> and <see cref="AvgPool"/>: 2-D pooling over the spatial axes
/// of <c>[N, H, W, C]</c> or <c>[N, C, H, W]</c> (or without N; extra leading axes are batch axes). No parameters.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="WindowShape">(wh, ww).</param>
/// <param name="Stride">(sh, sw).</param>
/// <param name="Padding">VALID, SAME or explicit.</param>
/// <param name="DataFormat">Where the channels are.</param>
/// <example>
/// <code>
/// // [N, 28, 28, C] → [N, 14, 14, C] with either pooling.
/// return from pool in MaxPool.Create(2)
///        from y in pool.Call(x)
///        select y;
/// </code>
/// </example>
public abstract record Pooling(ModuleName Name, IReadOnlyList<long> WindowShape, IReadOnlyList<long> Stride, Pad Padding, DataFormat DataFormat)
    : Layer(Name)
{
    /// <summary>Whether each window keeps its maximum (<see cref="MaxPool"/>) or its mean (<see cref="AvgPool"/>).</summary>
    private protected abstract bool TakesMaximum { get; }

    /// <summary>Pools <paramref name="x"/>.</summary>
    /// <param name="x">The input, <c>[N, H, W, C]</c> or <c>[N, C, H, W]</c> (or without N).</param>
    /// <returns>A model producing the pooled input.</returns>
    protected override Model<Tensor> Forward(Tensor x) =>
        Hk.Pure(Run(x, Name.Path, GetType().Name, DataFormat, WindowShape.ToArray(), Stride.ToArray(), Padding, TakesMaximum));

    /// <summary>Checks and normalises the arguments of a <c>Create</c>.</summary>
    internal static (long[] Window, long[] Stride, Pad Padding) Validate(string layer, IReadOnlyList<int> window, IReadOnlyList<int>? stride, Pad? padding)
    {
        ArgumentNullException.ThrowIfNull(window);
        var w = ConvOps.Positive(layer, "windowShape", window, 2);
        var s = stride is null ? w : ConvOps.Positive(layer, "stride", stride, 2);
        var p = padding ?? Pad.Valid;
        p.Validate(layer, 2);
        return (w, s, p);
    }

    private static Tensor Run(Tensor x, string path, string layer, DataFormat format, long[] window, long[] stride, Pad padding, bool max)
    {
        if (x.dim() > 4)
        {
            // Several leading (batch) axes, e.g. [T, N, H, W, C]: pool them as one batch axis.
            var leading = x.shape[..^3];
            var pooled = Run(x.reshape([-1, .. x.shape[^3..]]), path, layer, format, window, stride, padding, max);
            return pooled.reshape([.. leading, .. pooled.shape[1..]]);
        }
        var (input, unbatched) = ConvOps.ToBatchedChannelsFirst(x, 2, format, path, layer);
        var pads = ConvOps.Pads(padding, input.shape, window, stride, null, path, layer);
        var noPadding = pads.All(p => p.Low == 0 && p.High == 0);
        Tensor y;
        if (max)
            y = nn.functional.max_pool2d(ConvOps.PadSpatial(input, pads, double.NegativeInfinity), window, stride);
        else if (noPadding)
            y = nn.functional.avg_pool2d(input, window, stride);
        else
        {
            // Average over the real elements only (Haiku's SAME avg_pool): divide by the window's valid count.
            var sums = nn.functional.avg_pool2d(ConvOps.PadSpatial(input, pads), window, stride);
            using var ones = torch.ones([1, 1, input.shape[2], input.shape[3]], dtype: input.dtype, device: input.device);
            using var counts = nn.functional.avg_pool2d(ConvOps.PadSpatial(ones, pads), window, stride);
            y = sums / counts;
        }
        return ConvOps.FromBatchedChannelsFirst(y, format, unbatched);
    }
}
