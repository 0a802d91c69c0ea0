using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// A general N-d depthwise convolution, N = 1, 2 or 3 (Haiku's <c>hk.DepthwiseConvND</c>): every input channel is
/// convolved with its own <see cref="ChannelMultiplier"/> filters (torch's <c>groups = in</c>), giving
/// <c>in · ChannelMultiplier</c> output channels, filter <c>j</c> of channel <c>c</c> at output <c>c · m + j</c>.
/// Parameters: <c>w</c> of shape <c>[k₁, …, k_N, 1, in · m]</c> (default truncated normal with stddev
/// <c>1/√∏k</c>) and <c>b</c> of shape <c>[in · m]</c> channels last or <c>[in · m, 1, …, 1]</c> channels first.
/// <see cref="DepthwiseConv1D"/>, <see cref="DepthwiseConv2D"/> and <see cref="DepthwiseConv3D"/> are its
/// fixed-N front-ends.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="NumSpatialDims">N: 1, 2 or 3.</param>
/// <param name="ChannelMultiplier">Haiku's <c>channel_multiplier</c>: filters per input channel.</param>
/// <param name="KernelShape">The kernel size per spatial axis.</param>
/// <param name="Stride">The stride per spatial axis.</param>
/// <param name="Padding">SAME, VALID or explicit.</param>
/// <param name="Dilation">The kernel dilation per spatial axis (Haiku's <c>rate</c>).</param>
/// <param name="WithBias">Whether to add <c>b</c>.</param>
/// <param name="WInit">The initializer of <c>w</c>; null for the default.</param>
/// <param name="BInit">The initializer of <c>b</c>; null for zeros.</param>
/// <param name="DataFormat">Where the channels are.</param>
/// <example>
/// <code>
/// return DepthwiseConvND.Create(2, 1, [3]).Call(x);   // as DepthwiseConv2D.Create(1, 3)
/// </code>
/// </example>
public sealed record DepthwiseConvND(
    ModuleName Name, int NumSpatialDims, int ChannelMultiplier, IReadOnlyList<long> KernelShape, IReadOnlyList<long> Stride, Pad Padding,
    IReadOnlyList<long> Dilation, bool WithBias, Initializer? WInit, Initializer? BInit, DataFormat DataFormat) : Layer(Name)
{
    /// <summary>Creates an N-d depthwise convolution.</summary>
    /// <param name="numSpatialDims">N: 1, 2 or 3.</param>
    /// <param name="channelMultiplier">Filters per input channel (positive; 1 keeps the channel count).</param>
    /// <param name="kernelShape">One size for every axis, or N sizes.</param>
    /// <param name="stride">One stride or N; default 1.</param>
    /// <param name="padding">Default <see cref="Pad.Same"/>, as in Haiku.</param>
    /// <param name="dilation">One dilation or N (Haiku's <c>rate</c>); default 1.</param>
    /// <param name="withBias">Whether to add a bias.</param>
    /// <param name="wInit">The initializer of <c>w</c>.</param>
    /// <param name="bInit">The initializer of <c>b</c>.</param>
    /// <param name="dataFormat">Default channels last, as in Haiku.</param>
    /// <param name="name">An explicit module name, or null for <c>DepthwiseConvND_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="LayerConfigurationException">N is not 1–3 or a size is not positive.</exception>
    public static Model<DepthwiseConvND> Create(int numSpatialDims, int channelMultiplier, IReadOnlyList<int> kernelShape, IReadOnlyList<int>? stride = null,
        Pad? padding = null, IReadOnlyList<int>? dilation = null, bool withBias = true, Initializer? wInit = null, Initializer? bInit = null,
        DataFormat dataFormat = DataFormat.ChannelsLast, string? name = null)
    {
        var c = DepthwiseConfig.Validate(nameof(DepthwiseConvND), numSpatialDims, channelMultiplier, kernelShape, stride, padding, dilation);
        return Hk.Module(n => new DepthwiseConvND(n, numSpatialDims, channelMultiplier, c.Kernel, c.Stride, c.Padding, c.Dilation, withBias,
            wInit, bInit, dataFormat), name);
    }

    /// <summary>Convolves every channel of <paramref name="x"/> with its own filters.</summary>
    /// <param name="x">The input, <c>[N, spatial…, C]</c> or <c>[N, C, spatial…]</c> (or without N).</param>
    /// <returns>A model producing <c>C · ChannelMultiplier</c> channels in the same layout.</returns>
    /// <exception cref="LayerInputException">Wrong rank, or a window larger than the padded input.</exception>
    protected override Model<Tensor> Forward(Tensor x)
    {
        return DepthwiseConfig.Body(Name.Path, nameof(DepthwiseConvND), x, ChannelMultiplier, KernelShape, Stride, Padding, Dilation,
            WithBias, WInit, BInit, DataFormat);
    }
}

/// <summary>A depthwise convolution's validated configuration, and its body (a <see cref="ConvBody"/> with one group per channel).</summary>
internal sealed record DepthwiseConfig(long[] Kernel, long[] Stride, Pad Padding, long[] Dilation)
{
    public static DepthwiseConfig Validate(string layer, int n, int channelMultiplier, IReadOnlyList<int> kernel, IReadOnlyList<int>? stride,
        Pad? padding, IReadOnlyList<int>? dilation)
    {
        if (channelMultiplier < 1)
            throw new LayerConfigurationException(layer, $"channelMultiplier must be positive, got {channelMultiplier}.");
        var c = ConvConfig.Validate(layer, n, 1, 1, kernel, stride, padding, dilation);
        return new DepthwiseConfig(c.Kernel, c.Stride, c.Padding, c.Dilation);
    }

    public static Model<Tensor> Body(string path, string layer, Tensor x, int channelMultiplier, IReadOnlyList<long> kernel, IReadOnlyList<long> stride,
        Pad padding, IReadOnlyList<long> dilation, bool withBias, Initializer? wInit, Initializer? bInit, DataFormat format) =>
        ConvBody.Build(path, layer, x, 0, kernel.ToArray(), stride.ToArray(), padding, dilation.ToArray(), 1, withBias, wInit, bInit, format,
            channelMultiplier: channelMultiplier);
}
