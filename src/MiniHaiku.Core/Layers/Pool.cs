using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// Haiku's functional pooling, <c>hk.max_pool</c> and <c>hk.avg_pool</c>, over any axes: a window shape shorter than
/// the input's rank covers the trailing axes and the extra leading axes are batch axes (window 1), so the same call
/// works on <c>[H, W, C]</c>, <c>[N, H, W, C]</c> or <c>[T, N, H, W, C]</c>; a single window size pools every axis
/// but the first (batch) and the channel axis. SAME average pooling divides by the number of real (unpadded)
/// elements, as Haiku. No parameters, so no module: call it anywhere in a model.
/// </summary>
/// <example>
/// <code>
/// return Hk.Pure(Pool.Max(x, [2, 2, 1]));   // [N, H, W, C] → [N, H/2, W/2, C]; any trailing axes
/// </code>
/// </example>
public static class Pool
{
    /// <summary>Max pooling with a window over the trailing axes (Haiku's <c>hk.max_pool(value, window_shape, strides, padding)</c>).</summary>
    /// <param name="x">A floating-point input.</param>
    /// <param name="windowShape">The window per trailing axis (at most the input's rank); leading axes get 1.</param>
    /// <param name="strides">The stride per trailing axis, same count; null for the window shape.</param>
    /// <param name="padding"><see cref="Pad.Valid"/> (default) or <see cref="Pad.Same"/> (pads with −∞).</param>
    /// <returns>The pooled input.</returns>
    /// <exception cref="LayerConfigurationException">Non-positive sizes, mismatched counts, or explicit padding.</exception>
    /// <exception cref="LayerInputException">The window is longer than the input's rank or larger than an axis.</exception>
    public static Tensor Max(Tensor x, IReadOnlyList<int> windowShape, IReadOnlyList<int>? strides = null, Pad? padding = null) =>
        Run(x, windowShape, strides, padding, max: true, "MaxPool");

    /// <summary>Average pooling with a window over the trailing axes (Haiku's <c>hk.avg_pool</c>).</summary>
    /// <param name="x">A floating-point input.</param>
    /// <param name="windowShape">The window per trailing axis (at most the input's rank); leading axes get 1.</param>
    /// <param name="strides">The stride per trailing axis, same count; null for the window shape.</param>
    /// <param name="padding"><see cref="Pad.Valid"/> (default) or <see cref="Pad.Same"/> (averages the real elements only).</param>
    /// <returns>The pooled input.</returns>
    /// <exception cref="LayerConfigurationException">Non-positive sizes, mismatched counts, or explicit padding.</exception>
    /// <exception cref="LayerInputException">The window is longer than the input's rank or larger than an axis.</exception>
    public static Tensor Avg(Tensor x, IReadOnlyList<int> windowShape, IReadOnlyList<int>? strides = null, Pad? padding = null) =>
        Run(x, windowShape, strides, padding, max: false, "AvgPool");

    /// <summary>Max pooling with one window size on every axis but the first and <paramref name="channelAxis"/> (Haiku's integer <c>window_shape</c>).</summary>
    /// <param name="x">A floating-point input <c>[N, ...]</c>.</param>
    /// <param name="window">The window size on each pooled axis.</param>
    /// <param name="stride">The stride on each pooled axis.</param>
    /// <param name="padding"><see cref="Pad.Valid"/> (default) or <see cref="Pad.Same"/>.</param>
    /// <param name="channelAxis">The axis not pooled; default -1 (channels last).</param>
    /// <returns>The pooled input.</returns>
    public static Tensor Max(Tensor x, int window, int stride, Pad? padding = null, int channelAxis = -1) =>
        Run(x, FullWindow(x, window, channelAxis, "MaxPool"), FullWindow(x, stride, channelAxis, "MaxPool"), padding, max: true, "MaxPool");

    /// <summary>Average pooling with one window size on every axis but the first and <paramref name="channelAxis"/>.</summary>
    /// <param name="x">A floating-point input <c>[N, ...]</c>.</param>
    /// <param name="window">The window size on each pooled axis.</param>
    /// <param name="stride">The stride on each pooled axis.</param>
    /// <param name="padding"><see cref="Pad.Valid"/> (default) or <see cref="Pad.Same"/>.</param>
    /// <param name="channelAxis">The axis not pooled; default -1 (channels last).</param>
    /// <returns>The pooled input.</returns>
    public static Tensor Avg(Tensor x, int window, int stride, Pad? padding = null, int channelAxis = -1) =>
        Run(x, FullWindow(x, window, channelAxis, "AvgPool"), FullWindow(x, stride, channelAxis, "AvgPool"), padding, max: false, "AvgPool");

    private static int[] FullWindow(Tensor x, int size, int channelAxis, string layer)
    {
        ArgumentNullException.ThrowIfNull(x);
        var rank = (int)x.dim();
        var channel = channelAxis < 0 ? channelAxis + rank : channelAxis;
        if (channel < 0 || channel >= rank)
            throw new LayerInputException(layer, $"channel axis {channelAxis} is out of range for an input of shape {ShapeText.Format(x.shape)}.");
        return Enumerable.Range(0, rank).Select(a => a == 0 || a == channel ? 1 : size).ToArray();
    }

    private static Tensor Run(Tensor x, IReadOnlyList<int> windowShape, IReadOnlyList<int>? strides, Pad? padding, bool max, string layer)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(windowShape);
        var window = ConvOps.Positive(layer, "windowShape", windowShape, windowShape.Count);
        var stride = strides is null ? window : ConvOps.Positive(layer, "strides", strides, windowShape.Count);
        var pad = padding ?? Pad.Valid;
        if (pad.Amounts is not null) throw new LayerConfigurationException(layer, "functional pooling supports Pad.Same and Pad.Valid (Haiku's padding strings).");
        var rank = (int)x.dim();
        if (window.Length > rank)
            throw new LayerInputException(layer, $"window shape ({string.Join(", ", window)}) has more axes than the input of shape {ShapeText.Format(x.shape)}.");
        if (!x.is_floating_point())
            throw new LayerInputException(layer, $"needs a floating-point input, got dtype {x.dtype}.");
        var lead = rank - window.Length;
        var y = x;
        for (var i = 0; i < window.Length; i++)
        {
            var axis = lead + i;
            long k = window[i], s = stride[i], size = y.shape[axis];
            if (k == 1 && s == 1) continue;
            var (low, high) = pad.For(axis, size, k, s, 1);
            if (k > size + low + high)
                throw new LayerInputException(layer, $"window of {k} does not fit axis {axis} of size {size} (input shape {ShapeText.Format(x.shape)}, padding {pad}). Use SAME padding or a smaller window.");
            y = y.movedim([axis], [-1]);
            var padded = low == 0 && high == 0 ? y : nn.functional.pad(y, [low, high], PaddingModes.Constant, max ? double.NegativeInfinity : 0);
            var windows = padded.unfold(-1, k, s);
            Tensor reduced;
            if (max) reduced = windows.amax(-1);
            else if (low == 0 && high == 0) reduced = windows.mean([-1]);
            else
            {
                // Divide by the real elements per window; per-axis counts multiply, so dividing axis by axis is exact.
                using var ones = torch.ones(size, dtype: y.dtype, device: y.device);
                using var counts = nn.functional.pad(ones, [low, high]).unfold(0, k, s).sum(-1);
                reduced = windows.sum(-1).div(counts);
            }
            y = reduced.movedim([-1], [axis]);
        }
        return y;
    }
}
