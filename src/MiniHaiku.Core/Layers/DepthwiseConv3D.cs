using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// A 3-D depthwise convolution (Haiku's <c>hk.DepthwiseConv3D</c>), the N = 3 front-end of
/// <see cref="DepthwiseConvND"/>: each input channel gets its own <see cref="ChannelMultiplier"/> filters.
/// Parameters: <c>w</c> of shape <c>[kd, kh, kw, 1, in · m]</c> (default truncated normal with stddev <c>1/√(kd·kh·kw)</c>)
/// and <c>b</c> of shape <c>[in · m]</c> for NDHWC or <c>[in · m, 1, 1, 1]</c> for NCDHW. Inputs are <c>[N, D, H, W, C]</c>
/// (or <c>[N, C, D, H, W]</c>), or unbatched without N.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="ChannelMultiplier">Haiku's <c>channel_multiplier</c>: filters per input channel.</param>
/// <param name="KernelShape">(kd, kh, kw).</param>
/// <param name="Stride">(sd, sh, sw).</param>
/// <param name="Padding">SAME, VALID or explicit.</param>
/// <param name="Dilation">The kernel dilation per axis (Haiku's <c>rate</c>).</param>
/// <param name="WithBias">Whether to add <c>b</c>.</param>
/// <param name="WInit">The initializer of <c>w</c>; null for the default.</param>
/// <param name="BInit">The initializer of <c>b</c>; null for zeros.</param>
/// <param name="DataFormat">Where the channels are.</param>
/// <example>
/// <code>
/// return DepthwiseConv3D.Create(2, 3).Call(x);   // [N, D, H, W, C] → [N, D, H, W, 2C]
/// </code>
/// </example>
public sealed record DepthwiseConv3D(
    ModuleName Name, int ChannelMultiplier, IReadOnlyList<long> KernelShape, IReadOnlyList<long> Stride, Pad Padding,
    IReadOnlyList<long> Dilation, bool WithBias, Initializer? WInit, Initializer? BInit, DataFormat DataFormat) : Layer(Name)
{
    /// <summary>Creates a 3-D depthwise convolution with the same kernel size on every axis.</summary>
    /// <param name="channelMultiplier">Filters per input channel (positive; 1 keeps the channel count).</param>
    /// <param name="kernelSize">The kernel size on every axis.</param>
    /// <param name="stride">The stride on every axis.</param>
    /// <param name="padding">Default <see cref="Pad.Same"/>, as in Haiku.</param>
    /// <param name="dilation">The dilation on every axis (Haiku's <c>rate</c>).</param>
    /// <param name="withBias">Whether to add a bias.</param>
    /// <param name="wInit">The initializer of <c>w</c>.</param>
    /// <param name="bInit">The initializer of <c>b</c>.</param>
    /// <param name="dataFormat">Default channels last (NDHWC), as in Haiku.</param>
    /// <param name="name">An explicit module name, or null for <c>DepthwiseConv3D_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<DepthwiseConv3D> Create(int channelMultiplier, int kernelSize, int stride = 1, Pad? padding = null, int dilation = 1,
        bool withBias = true, Initializer? wInit = null, Initializer? bInit = null, DataFormat dataFormat = DataFormat.ChannelsLast, string? name = null) =>
        Create(channelMultiplier, [kernelSize], [stride], padding, [dilation], withBias, wInit, bInit, dataFormat, name);

    /// <summary>Creates a 3-D depthwise convolution with per-axis sizes.</summary>
    /// <param name="channelMultiplier">Filters per input channel (positive).</param>
    /// <param name="kernelShape">(kd, kh, kw), or one size for all.</param>
    /// <param name="stride">(sd, sh, sw), or one for all.</param>
    /// <param name="padding">Default <see cref="Pad.Same"/>.</param>
    /// <param name="dilation">One dilation per axis, or one for all.</param>
    /// <param name="withBias">Whether to add a bias.</param>
    /// <param name="wInit">The initializer of <c>w</c>.</param>
    /// <param name="bInit">The initializer of <c>b</c>.</param>
    /// <param name="dataFormat">Where the channels are.</param>
    /// <param name="name">An explicit module name.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="LayerConfigurationException">A size is not positive.</exception>
    public static Model<DepthwiseConv3D> Create(int channelMultiplier, IReadOnlyList<int> kernelShape, IReadOnlyList<int> stride, Pad? padding,
        IReadOnlyList<int> dilation, bool withBias = true, Initializer? wInit = null, Initializer? bInit = null,
        DataFormat dataFormat = DataFormat.ChannelsLast, string? name = null)
    {
        var c = DepthwiseConfig.Validate(nameof(DepthwiseConv3D), 3, channelMultiplier, kernelShape, stride, padding, dilation);
        return Hk.Module(n => new DepthwiseConv3D(n, channelMultiplier, c.Kernel, c.Stride, c.Padding, c.Dilation, withBias, wInit, bInit, dataFormat), name);
    }

    /// <summary>Convolves every channel of <paramref name="x"/> with its own filters.</summary>
    /// <param name="x">The input, <c>[N, D, H, W, C]</c> or <c>[N, C, D, H, W]</c> (or without N).</param>
    /// <returns>A model producing <c>C · ChannelMultiplier</c> channels in the same layout.</returns>
    /// <exception cref="LayerInputException">Wrong rank, or a window larger than the padded input.</exception>
    protected override Model<Tensor> Forward(Tensor x)
    {
        return DepthwiseConfig.Body(Name.Path, nameof(DepthwiseConv3D), x, ChannelMultiplier, KernelShape, Stride, Padding, Dilation,
            WithBias, WInit, BInit, DataFormat);
    }
}
