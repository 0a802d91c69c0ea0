using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// 2-D average pooling over the spatial axes (Haiku's <c>hk.AvgPool</c>). With padding, each output is
/// the mean of the real (unpadded) elements in its window, as in Haiku. No parameters.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="WindowShape">(wh, ww).</param>
/// <param name="Stride">(sh, sw).</param>
/// <param name="Padding">VALID (default), SAME or explicit.</param>
/// <param name="DataFormat">Where the channels are.</param>
/// <example>
/// <code>
/// // Each output is the mean of the real (unpadded) elements of its 3×3 window.
/// return AvgPool.Create(3, stride: 2, padding: Pad.Same).Call(x);
/// </code>
/// </example>
public sealed record AvgPool(ModuleName Name, IReadOnlyList<long> WindowShape, IReadOnlyList<long> Stride, Pad Padding, DataFormat DataFormat)
    : Pooling(Name, WindowShape, Stride, Padding, DataFormat)
{
    /// <summary>Creates an average-pooling module.</summary>
    /// <param name="windowSize">The window's height and width.</param>
    /// <param name="stride">The stride along both axes; default the window size.</param>
    /// <param name="padding">Default <see cref="Pad.Valid"/>.</param>
    /// <param name="dataFormat">Default channels last (NHWC).</param>
    /// <param name="name">An explicit module name, or null for <c>AvgPool_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<AvgPool> Create(int windowSize, int? stride = null, Pad? padding = null,
        DataFormat dataFormat = DataFormat.ChannelsLast, string? name = null)
    {
        var (w, s, p) = Pooling.Validate(nameof(AvgPool), [windowSize, windowSize], stride is { } v ? [v, v] : null, padding);
        return Hk.Module(n => new AvgPool(n, w, s, p, dataFormat), name);
    }

    /// <summary>Creates an average-pooling module with per-axis window and stride.</summary>
    /// <param name="windowShape">(wh, ww).</param>
    /// <param name="stride">(sh, sw); null for the window shape.</param>
    /// <param name="padding">Default <see cref="Pad.Valid"/>.</param>
    /// <param name="dataFormat">Where the channels are.</param>
    /// <param name="name">An explicit module name.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<AvgPool> Create(IReadOnlyList<int> windowShape, IReadOnlyList<int>? stride, Pad? padding = null,
        DataFormat dataFormat = DataFormat.ChannelsLast, string? name = null)
    {
        var (w, s, p) = Pooling.Validate(nameof(AvgPool), windowShape, stride, padding);
        return Hk.Module(n => new AvgPool(n, w, s, p, dataFormat), name);
    }

    /// <inheritdoc/>
    private protected override bool TakesMaximum => false;
}
