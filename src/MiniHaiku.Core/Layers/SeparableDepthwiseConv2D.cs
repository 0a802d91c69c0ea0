using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// A separable 2-D depthwise convolution (Haiku's <c>hk.SeparableDepthwiseConv2D</c>): a <see cref="DepthwiseConv2D"/>
/// with kernel <c>(kh, 1)</c>, the channel multiplier, the stride and no bias, then a <see cref="DepthwiseConv2D"/>
/// with kernel <c>(1, kw)</c>, multiplier 1, stride 1 and the bias. Its parameters are those of the two:
/// <c>{path}/__call__/DepthwiseConv2D_0/__call__/w</c> <c>[kh, 1, 1, in · m]</c> and
/// <c>…/DepthwiseConv2D_1/__call__/{w, b}</c> (<c>[1, kw, 1, in · m]</c>, <c>[in · m]</c>).
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="ChannelMultiplier">Filters per input channel in the first convolution.</param>
/// <param name="KernelShape">(kh, kw).</param>
/// <param name="Stride">(sh, sw), applied by the first convolution.</param>
/// <param name="Padding">SAME, VALID or explicit, for both convolutions.</param>
/// <param name="WithBias">Whether the second convolution adds <c>b</c>.</param>
/// <param name="WInit">The initializer of both <c>w</c>; null for the default.</param>
/// <param name="BInit">The initializer of <c>b</c>; null for zeros.</param>
/// <param name="DataFormat">Where the channels are.</param>
/// <example>
/// <code>
/// // A (3, 1) then a (1, 3) depthwise convolution over [N, H, W, C].
/// return SeparableDepthwiseConv2D.Create(1, [3, 3]).Call(x);
/// </code>
/// </example>
public sealed record SeparableDepthwiseConv2D(
    ModuleName Name, int ChannelMultiplier, IReadOnlyList<long> KernelShape, IReadOnlyList<long> Stride, Pad Padding,
    bool WithBias, Initializer? WInit, Initializer? BInit, DataFormat DataFormat) : Layer(Name)
{
    /// <summary>Creates a separable depthwise convolution.</summary>
    /// <param name="channelMultiplier">Filters per input channel (positive).</param>
    /// <param name="kernelShape">(kh, kw), or one size for both.</param>
    /// <param name="stride">(sh, sw), or one for both; default 1.</param>
    /// <param name="padding">Default <see cref="Pad.Same"/>, as in Haiku.</param>
    /// <param name="withBias">Whether to add a bias.</param>
    /// <param name="wInit">The initializer of both kernels.</param>
    /// <param name="bInit">The initializer of <c>b</c>.</param>
    /// <param name="dataFormat">Default channels last (NHWC).</param>
    /// <param name="name">An explicit module name, or null for <c>SeparableDepthwiseConv2D_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="LayerConfigurationException">A size is not positive.</exception>
    public static Model<SeparableDepthwiseConv2D> Create(int channelMultiplier, IReadOnlyList<int> kernelShape, IReadOnlyList<int>? stride = null,
        Pad? padding = null, bool withBias = true, Initializer? wInit = null, Initializer? bInit = null,
        DataFormat dataFormat = DataFormat.ChannelsLast, string? name = null)
    {
        var c = DepthwiseConfig.Validate(nameof(SeparableDepthwiseConv2D), 2, channelMultiplier, kernelShape, stride, padding, null);
        return Hk.Module(n => new SeparableDepthwiseConv2D(n, channelMultiplier, c.Kernel, c.Stride, c.Padding, withBias, wInit, bInit, dataFormat), name);
    }

    /// <summary>Applies the two depthwise convolutions.</summary>
    /// <param name="x">The input, <c>[N, H, W, C]</c> or <c>[N, C, H, W]</c> (or without N).</param>
    /// <returns>A model producing <c>C · ChannelMultiplier</c> channels in the same layout.</returns>
    protected override Model<Tensor> Forward(Tensor x)
    {
        int kh = (int)KernelShape[0], kw = (int)KernelShape[1], sh = (int)Stride[0], sw = (int)Stride[1];
        return
            from tall in DepthwiseConv2D.Create(ChannelMultiplier, [kh, 1], [sh, sw], Padding, [1], withBias: false, wInit: WInit, dataFormat: DataFormat).Call(x)
            from wide in DepthwiseConv2D.Create(1, [1, kw], [1], Padding, [1], WithBias, WInit, BInit, DataFormat).Call(tall)
            select wide;
    }
}
