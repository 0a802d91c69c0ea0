using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// 2-D max pooling over the spatial axes (Haiku's <c>hk.MaxPool</c> with a window of 1 on batch and
/// channels). SAME padding pads with −∞, so padding never wins. No parameters.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="WindowShape">(wh, ww).</param>
/// <param name="Stride">(sh, sw).</param>
/// <param name="Padding">VALID (default), SAME or explicit.</param>
/// <param name="DataFormat">Where the channels are.</param>
/// <example>
/// <code>
/// return MaxPool.Create(2).Call(x);   // [N, H, W, C] → [N, H/2, W/2, C]
/// </code>
/// </example>
public sealed record MaxPool(ModuleName Name, IReadOnlyList<long> WindowShape, IReadOnlyList<long> Stride, Pad Padding, DataFormat DataFormat)
    : Pooling(Name, WindowShape, Stride, Padding, DataFormat)
{
    /// <summary>Creates a max-pooling module.</summary>
    /// <param name="windowSize">The window's height and width.</param>
    /// <param name="stride">The stride along both axes; default the window size.</param>
    /// <param name="padding">Default <see cref="Pad.Valid"/>.</param>
    /// <param name="dataFormat">Default channels last (NHWC).</param>
    /// <param name="name">An explicit module name, or null for <c>MaxPool_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<MaxPool> Create(int windowSize, int? stride = null, Pad? padding = null,
        DataFormat dataFormat = DataFormat.ChannelsLast, string? name = null)
    {
        var (w, s, p) = Pooling.Validate(nameof(MaxPool), [windowSize, windowSize], stride is { } v ? [v, v] : null, padding);
        return Hk.Module(n => new MaxPool(n, w, s, p, dataFormat), name);
    }

    /// <summary>Creates a max-pooling module with per-axis window and stride.</summary>
    /// <param name="windowShape">(wh, ww).</param>
    /// <param name="stride">(sh, sw); null for the window shape.</param>
    /// <param name="padding">Default <see cref="Pad.Valid"/>.</param>
    /// <param name="dataFormat">Where the channels are.</param>
    /// <param name="name">An explicit module name.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<MaxPool> Create(IReadOnlyList<int> windowShape, IReadOnlyList<int>? stride, Pad? padding = null,
        DataFormat dataFormat = DataFormat.ChannelsLast, string? name = null)
    {
        var (w, s, p) = Pooling.Validate(nameof(MaxPool), windowShape, stride, padding);
        return Hk.Module(n => new MaxPool(n, w, s, p, dataFormat), name);
    }

    /// <inheritdoc/>
    private protected override bool TakesMaximum => true;
}
