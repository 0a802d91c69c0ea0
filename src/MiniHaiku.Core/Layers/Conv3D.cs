using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// A 3-D convolution (Haiku's <c>hk.Conv3D</c>), the N = 3 front-end of <see cref="ConvND"/>. Parameters: <c>w</c> of
/// shape <c>[kd, kh, kw, in / groups, out]</c> (default truncated normal with stddev <c>1/√(kd·kh·kw·in/groups)</c>)
/// and <c>b</c> of shape <c>[out]</c> for NDHWC or <c>[out, 1, 1, 1]</c> for NCDHW (default zeros). Inputs are
/// <c>[N, D, H, W, C]</c> (or <c>[N, C, D, H, W]</c>), or unbatched without N.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="OutputChannels">The number of output channels.</param>
/// <param name="KernelShape">(kd, kh, kw).</param>
/// <param name="Stride">(sd, sh, sw).</param>
/// <param name="Padding">SAME, VALID or explicit.</param>
/// <param name="Dilation">(dd, dh, dw): Haiku's <c>rate</c>.</param>
/// <param name="Groups">Haiku's <c>feature_group_count</c>.</param>
/// <param name="WithBias">Whether to add <c>b</c>.</param>
/// <param name="WInit">The initializer of <c>w</c>; null for the default.</param>
/// <param name="BInit">The initializer of <c>b</c>; null for zeros.</param>
/// <param name="DataFormat">Where the channels are.</param>
/// <param name="Mask">Haiku's <c>mask</c> of <c>w</c>'s shape; null for none.</param>
/// <example>
/// <code>
/// return Conv3D.Create(8, 3).Call(x);      // [N, D, H, W, C] → [N, D, H, W, 8]
/// </code>
/// </example>
public sealed record Conv3D(
    ModuleName Name, int OutputChannels, IReadOnlyList<long> KernelShape, IReadOnlyList<long> Stride, Pad Padding,
    IReadOnlyList<long> Dilation, int Groups, bool WithBias, Initializer? WInit, Initializer? BInit, DataFormat DataFormat, Tensor? Mask) : Layer(Name)
{
    /// <summary>Creates a 3-D convolution with a cubic kernel.</summary>
    /// <param name="outputChannels">The number of output channels (divisible by <paramref name="groups"/>).</param>
    /// <param name="kernelSize">The kernel's depth, height and width.</param>
    /// <param name="stride">The stride along every axis.</param>
    /// <param name="padding">Default <see cref="Pad.Same"/>, as in Haiku.</param>
    /// <param name="dilation">The kernel dilation along every axis.</param>
    /// <param name="groups">The number of groups.</param>
    /// <param name="withBias">Whether to add a bias.</param>
    /// <param name="wInit">The initializer of <c>w</c>.</param>
    /// <param name="bInit">The initializer of <c>b</c>.</param>
    /// <param name="dataFormat">Default channels last (NDHWC), as in Haiku.</param>
    /// <param name="mask">Haiku's <c>mask</c>, of <c>w</c>'s shape; null for none.</param>
    /// <param name="name">An explicit module name, or null for <c>Conv3D_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<Conv3D> Create(int outputChannels, int kernelSize, int stride = 1, Pad? padding = null, int dilation = 1,
        int groups = 1, bool withBias = true, Initializer? wInit = null, Initializer? bInit = null,
        DataFormat dataFormat = DataFormat.ChannelsLast, Tensor? mask = null, string? name = null) =>
        Create(outputChannels, [kernelSize], [stride], padding, [dilation], groups, withBias, wInit, bInit, dataFormat, mask, name);

    /// <summary>Creates a 3-D convolution with per-axis kernel, stride and dilation.</summary>
    /// <param name="outputChannels">The number of output channels (divisible by <paramref name="groups"/>).</param>
    /// <param name="kernelShape">(kd, kh, kw), or one size for all.</param>
    /// <param name="stride">(sd, sh, sw), or one stride for all.</param>
    /// <param name="padding">Default <see cref="Pad.Same"/>.</param>
    /// <param name="dilation">(dd, dh, dw), or one for all.</param>
    /// <param name="groups">The number of groups.</param>
    /// <param name="withBias">Whether to add a bias.</param>
    /// <param name="wInit">The initializer of <c>w</c>.</param>
    /// <param name="bInit">The initializer of <c>b</c>.</param>
    /// <param name="dataFormat">Where the channels are.</param>
    /// <param name="mask">Haiku's <c>mask</c>, of <c>w</c>'s shape; null for none.</param>
    /// <param name="name">An explicit module name.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="LayerConfigurationException">A size is not positive, or the channels do not divide into groups.</exception>
    public static Model<Conv3D> Create(int outputChannels, IReadOnlyList<int> kernelShape, IReadOnlyList<int> stride, Pad? padding,
        IReadOnlyList<int> dilation, int groups = 1, bool withBias = true, Initializer? wInit = null, Initializer? bInit = null,
        DataFormat dataFormat = DataFormat.ChannelsLast, Tensor? mask = null, string? name = null)
    {
        var c = ConvConfig.Validate(nameof(Conv3D), 3, outputChannels, groups, kernelShape, stride, padding, dilation);
        return Hk.Module(n => new Conv3D(n, outputChannels, c.Kernel, c.Stride, c.Padding, c.Dilation, groups, withBias, wInit, bInit, dataFormat, mask), name);
    }

    /// <summary>Convolves <paramref name="x"/>.</summary>
    /// <param name="x">The input, <c>[N, D, H, W, C]</c> or <c>[N, C, D, H, W]</c> (or without N).</param>
    /// <returns>A model producing the output in the same layout.</returns>
    /// <exception cref="LayerInputException">Wrong rank, channels not divisible by the groups, or a mask of the wrong shape.</exception>
    protected override Model<Tensor> Forward(Tensor x)
    {
        return ConvBody.Build(Name.Path, nameof(Conv3D), x, OutputChannels, KernelShape.ToArray(), Stride.ToArray(), Padding,
            Dilation.ToArray(), Groups, WithBias, WInit, BInit, DataFormat, Mask);
    }
}
