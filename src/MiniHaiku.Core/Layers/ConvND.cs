using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// A general N-d convolution, N = 1, 2 or 3 (Haiku's <c>hk.ConvND</c>; <see cref="Conv1D"/>, <see cref="Conv2D"/> and
/// <see cref="Conv3D"/> are its fixed-N front-ends and share its implementation). Parameters: <c>w</c> of shape
/// <c>[k₁, …, k_N, in / groups, out]</c> (default truncated normal with stddev <c>1/√(∏k·in/groups)</c>) and
/// <c>b</c> of shape <c>[out]</c> channels last or <c>[out, 1, …, 1]</c> channels first (default zeros). Inputs are
/// <c>[N, spatial…, C]</c> (or <c>[N, C, spatial…]</c>), or unbatched without the leading N.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="NumSpatialDims">N: 1, 2 or 3.</param>
/// <param name="OutputChannels">The number of output channels.</param>
/// <param name="KernelShape">The kernel size per spatial axis.</param>
/// <param name="Stride">The stride per spatial axis.</param>
/// <param name="Padding">SAME, VALID or explicit.</param>
/// <param name="Dilation">The kernel dilation per spatial axis (Haiku's <c>rate</c>).</param>
/// <param name="Groups">Haiku's <c>feature_group_count</c>.</param>
/// <param name="WithBias">Whether to add <c>b</c>.</param>
/// <param name="WInit">The initializer of <c>w</c>; null for the default.</param>
/// <param name="BInit">The initializer of <c>b</c>; null for zeros.</param>
/// <param name="DataFormat">Where the channels are.</param>
/// <param name="Mask">Haiku's <c>mask</c>: multiplies <c>w</c> elementwise before the convolution; null for none.</param>
/// <example>
/// <code>
/// // A 3-D convolution over [N, D, H, W, C] written as ConvND (as Conv3D.Create(8, 3)).
/// return ConvND.Create(3, 8, [3]).Call(x);
/// </code>
/// </example>
public sealed record ConvND(
    ModuleName Name, int NumSpatialDims, int OutputChannels, IReadOnlyList<long> KernelShape, IReadOnlyList<long> Stride, Pad Padding,
    IReadOnlyList<long> Dilation, int Groups, bool WithBias, Initializer? WInit, Initializer? BInit, DataFormat DataFormat, Tensor? Mask) : Layer(Name)
{
    /// <summary>Creates an N-d convolution.</summary>
    /// <param name="numSpatialDims">N: 1, 2 or 3.</param>
    /// <param name="outputChannels">The number of output channels (divisible by <paramref name="groups"/>).</param>
    /// <param name="kernelShape">One size for every axis, or N sizes.</param>
    /// <param name="stride">One stride or N; default 1.</param>
    /// <param name="padding">Default <see cref="Pad.Same"/>, as in Haiku.</param>
    /// <param name="dilation">One dilation or N (Haiku's <c>rate</c>); default 1.</param>
    /// <param name="groups">Haiku's <c>feature_group_count</c>: 1 for a dense convolution.</param>
    /// <param name="withBias">Whether to add a bias.</param>
    /// <param name="wInit">The initializer of <c>w</c>.</param>
    /// <param name="bInit">The initializer of <c>b</c>.</param>
    /// <param name="dataFormat">Default channels last, as in Haiku.</param>
    /// <param name="mask">Haiku's <c>mask</c>, of <c>w</c>'s shape; null for none.</param>
    /// <param name="name">An explicit module name, or null for <c>ConvND_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="LayerConfigurationException">N is not 1–3, a size is not positive, or the channels do not divide into groups.</exception>
    public static Model<ConvND> Create(int numSpatialDims, int outputChannels, IReadOnlyList<int> kernelShape, IReadOnlyList<int>? stride = null,
        Pad? padding = null, IReadOnlyList<int>? dilation = null, int groups = 1, bool withBias = true, Initializer? wInit = null,
        Initializer? bInit = null, DataFormat dataFormat = DataFormat.ChannelsLast, Tensor? mask = null, string? name = null)
    {
        var c = ConvConfig.Validate(nameof(ConvND), numSpatialDims, outputChannels, groups, kernelShape, stride, padding, dilation);
        return Hk.Module(n => new ConvND(n, numSpatialDims, outputChannels, c.Kernel, c.Stride, c.Padding, c.Dilation, groups, withBias,
            wInit, bInit, dataFormat, mask), name);
    }

    /// <summary>Convolves <paramref name="x"/>.</summary>
    /// <param name="x">The input, <c>[N, spatial…, C]</c> or <c>[N, C, spatial…]</c> (or without N).</param>
    /// <returns>A model producing the output in the same layout.</returns>
    /// <exception cref="LayerInputException">Wrong rank, channels not divisible by the groups, or a mask of the wrong shape.</exception>
    protected override Model<Tensor> Forward(Tensor x)
    {
        return ConvBody.Build(Name.Path, nameof(ConvND), x, OutputChannels, KernelShape.ToArray(), Stride.ToArray(), Padding,
            Dilation.ToArray(), Groups, WithBias, WInit, BInit, DataFormat, Mask);
    }
}

/// <summary>A convolution's validated spatial configuration.</summary>
internal sealed record ConvConfig(long[] Kernel, long[] Stride, Pad Padding, long[] Dilation)
{
    /// <summary>Checks N, the channel/group counts and the per-axis sizes (one value is replicated to N).</summary>
    public static ConvConfig Validate(string layer, int n, int outputChannels, int groups, IReadOnlyList<int> kernel,
        IReadOnlyList<int>? stride, Pad? padding, IReadOnlyList<int>? dilation)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ConvOps.SpatialDims(layer, n);
        if (outputChannels < 1 || groups < 1 || outputChannels % groups != 0)
            throw new LayerConfigurationException(layer, $"needs positive outputChannels divisible by a positive groups, got outputChannels = {outputChannels}, groups = {groups}.");
        var pad = padding ?? Pad.Same;
        pad.Validate(layer, n);
        return new ConvConfig(
            ConvOps.Replicate(layer, "kernelShape", kernel, n),
            ConvOps.Replicate(layer, "stride", stride ?? [1], n),
            pad,
            ConvOps.Replicate(layer, "dilation", dilation ?? [1], n));
    }
}
