using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// A 2-D convolution (Haiku's <c>hk.Conv2D</c>). Parameters: <c>w</c> of shape
/// <c>[kh, kw, in / groups, out]</c> (Haiku's layout; default truncated normal with stddev
/// <c>1/√(kh·kw·in/groups)</c>) and <c>b</c> of shape <c>[out]</c> for NHWC or <c>[out, 1, 1]</c> for
/// NCHW (default zeros). Inputs are <c>[N, H, W, C]</c> (or <c>[N, C, H, W]</c> with
/// <see cref="DataFormat.ChannelsFirst"/>), or unbatched without N.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="OutputChannels">The number of output channels.</param>
/// <param name="KernelShape">(kh, kw).</param>
/// <param name="Stride">(sh, sw).</param>
/// <param name="Padding">SAME, VALID or explicit.</param>
/// <param name="Dilation">(dh, dw): Haiku's <c>rate</c>.</param>
/// <param name="Groups">Haiku's <c>feature_group_count</c>.</param>
/// <param name="WithBias">Whether to add <c>b</c>.</param>
/// <param name="WInit">The initializer of <c>w</c>; null for the default.</param>
/// <param name="BInit">The initializer of <c>b</c>; null for zeros.</param>
/// <param name="DataFormat">Where the channels are.</param>
/// <param name="Mask">Haiku's <c>mask</c>: multiplies <c>w</c> elementwise (same shape); null for none.</param>
/// <example>
/// <code>
/// // [N, H, W, C] → [N, ⌈H/2⌉, ⌈W/2⌉, 32]; w [3, 3, C, 32] at ~/Conv2D_0/__call__/w.
/// return Conv2D.Create(32, 3, stride: 2).Call(x);
/// </code>
/// </example>
public sealed record Conv2D(
    ModuleName Name, int OutputChannels, IReadOnlyList<long> KernelShape, IReadOnlyList<long> Stride, Pad Padding,
    IReadOnlyList<long> Dilation, int Groups, bool WithBias, Initializer? WInit, Initializer? BInit, DataFormat DataFormat, Tensor? Mask = null) : Layer(Name)
{
    /// <summary>Creates a 2-D convolution with a square kernel.</summary>
    /// <param name="outputChannels">The number of output channels (divisible by <paramref name="groups"/>).</param>
    /// <param name="kernelSize">The kernel's height and width.</param>
    /// <param name="stride">The stride along both axes.</param>
    /// <param name="padding">Default <see cref="Pad.Same"/>, as in Haiku.</param>
    /// <param name="dilation">The kernel dilation along both axes.</param>
    /// <param name="groups">The number of groups (1 for a dense convolution).</param>
    /// <param name="withBias">Whether to add a bias.</param>
    /// <param name="wInit">The initializer of <c>w</c>.</param>
    /// <param name="bInit">The initializer of <c>b</c>.</param>
    /// <param name="dataFormat">Default channels last (NHWC), as in Haiku.</param>
    /// <param name="mask">Haiku's <c>mask</c>, of <c>w</c>'s shape; null for none.</param>
    /// <param name="name">An explicit module name, or null for <c>Conv2D_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<Conv2D> Create(int outputChannels, int kernelSize, int stride = 1, Pad? padding = null, int dilation = 1,
        int groups = 1, bool withBias = true, Initializer? wInit = null, Initializer? bInit = null,
        DataFormat dataFormat = DataFormat.ChannelsLast, Tensor? mask = null, string? name = null) =>
        Create(outputChannels, [kernelSize, kernelSize], [stride, stride], padding, [dilation, dilation], groups, withBias, wInit, bInit, dataFormat, mask, name);

    /// <summary>Creates a 2-D convolution with per-axis kernel, stride and dilation.</summary>
    /// <param name="outputChannels">The number of output channels (divisible by <paramref name="groups"/>).</param>
    /// <param name="kernelShape">(kh, kw).</param>
    /// <param name="stride">(sh, sw).</param>
    /// <param name="padding">Default <see cref="Pad.Same"/>.</param>
    /// <param name="dilation">(dh, dw).</param>
    /// <param name="groups">The number of groups.</param>
    /// <param name="withBias">Whether to add a bias.</param>
    /// <param name="wInit">The initializer of <c>w</c>.</param>
    /// <param name="bInit">The initializer of <c>b</c>.</param>
    /// <param name="dataFormat">Where the channels are.</param>
    /// <param name="mask">Haiku's <c>mask</c>, of <c>w</c>'s shape; null for none.</param>
    /// <param name="name">An explicit module name.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="LayerConfigurationException">A size is not positive, or the channels do not divide into groups.</exception>
    public static Model<Conv2D> Create(int outputChannels, IReadOnlyList<int> kernelShape, IReadOnlyList<int> stride, Pad? padding,
        IReadOnlyList<int> dilation, int groups = 1, bool withBias = true, Initializer? wInit = null, Initializer? bInit = null,
        DataFormat dataFormat = DataFormat.ChannelsLast, Tensor? mask = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(kernelShape);
        ArgumentNullException.ThrowIfNull(stride);
        ArgumentNullException.ThrowIfNull(dilation);
        const string layer = nameof(Conv2D);
        if (outputChannels < 1 || groups < 1 || outputChannels % groups != 0)
            throw new LayerConfigurationException(layer, $"needs positive outputChannels divisible by a positive groups, got outputChannels = {outputChannels}, groups = {groups}.");
        var k = ConvOps.Positive(layer, "kernelShape", kernelShape, 2);
        var s = ConvOps.Positive(layer, "stride", stride, 2);
        var d = ConvOps.Positive(layer, "dilation", dilation, 2);
        var pad = padding ?? Pad.Same;
        pad.Validate(layer, 2);
        return Hk.Module(n => new Conv2D(n, outputChannels, k, s, pad, d, groups, withBias, wInit, bInit, dataFormat, mask), name);
    }

    /// <summary>Convolves <paramref name="x"/>.</summary>
    /// <param name="x">The input, <c>[N, H, W, C]</c> or <c>[N, C, H, W]</c> (or without N).</param>
    /// <returns>A model producing the output in the same layout.</returns>
    /// <exception cref="LayerInputException">Wrong rank or channels not divisible by the groups.</exception>
    protected override Model<Tensor> Forward(Tensor x)
    {
        return ConvBody.Build(Name.Path, nameof(Conv2D), x, OutputChannels, KernelShape.ToArray(), Stride.ToArray(), Padding,
            Dilation.ToArray(), Groups, WithBias, WInit, BInit, DataFormat, Mask);
    }
}
