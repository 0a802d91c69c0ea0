using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// A 1-D convolution (Haiku's <c>hk.Conv1D</c>). Parameters: <c>w</c> of shape <c>[k, in / groups, out]</c>
/// (default truncated normal with stddev <c>1/√(k·in/groups)</c>) and <c>b</c> of shape <c>[out]</c>
/// for NWC or <c>[out, 1]</c> for NCW. Inputs are <c>[N, W, C]</c> (or <c>[N, C, W]</c>), or unbatched.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="OutputChannels">The number of output channels.</param>
/// <param name="KernelSize">The kernel width.</param>
/// <param name="Stride">The stride.</param>
/// <param name="Padding">SAME, VALID or explicit.</param>
/// <param name="Dilation">The kernel dilation (Haiku's <c>rate</c>).</param>
/// <param name="Groups">Haiku's <c>feature_group_count</c>.</param>
/// <param name="WithBias">Whether to add <c>b</c>.</param>
/// <param name="WInit">The initializer of <c>w</c>; null for the default.</param>
/// <param name="BInit">The initializer of <c>b</c>; null for zeros.</param>
/// <param name="DataFormat">Where the channels are.</param>
/// <param name="Mask">Haiku's <c>mask</c>: multiplies <c>w</c> elementwise (same shape); null for none.</param>
/// <example>
/// <code>
/// return Conv1D.Create(16, 3).Call(x);     // [N, W, C] → [N, W, 16] (SAME padding)
/// </code>
/// </example>
public sealed record Conv1D(
    ModuleName Name, int OutputChannels, int KernelSize, int Stride, Pad Padding, int Dilation, int Groups,
    bool WithBias, Initializer? WInit, Initializer? BInit, DataFormat DataFormat, Tensor? Mask = null) : Layer(Name)
{
    /// <summary>Creates a 1-D convolution.</summary>
    /// <param name="outputChannels">The number of output channels (divisible by <paramref name="groups"/>).</param>
    /// <param name="kernelSize">The kernel width.</param>
    /// <param name="stride">The stride.</param>
    /// <param name="padding">Default <see cref="Pad.Same"/>.</param>
    /// <param name="dilation">The kernel dilation.</param>
    /// <param name="groups">The number of groups.</param>
    /// <param name="withBias">Whether to add a bias.</param>
    /// <param name="wInit">The initializer of <c>w</c>.</param>
    /// <param name="bInit">The initializer of <c>b</c>.</param>
    /// <param name="dataFormat">Default channels last (NWC), as in Haiku.</param>
    /// <param name="mask">Haiku's <c>mask</c>, of <c>w</c>'s shape; null for none.</param>
    /// <param name="name">An explicit module name, or null for <c>Conv1D_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="LayerConfigurationException">A size is not positive, or the channels do not divide into groups.</exception>
    public static Model<Conv1D> Create(int outputChannels, int kernelSize, int stride = 1, Pad? padding = null, int dilation = 1,
        int groups = 1, bool withBias = true, Initializer? wInit = null, Initializer? bInit = null,
        DataFormat dataFormat = DataFormat.ChannelsLast, Tensor? mask = null, string? name = null)
    {
        const string layer = nameof(Conv1D);
        if (outputChannels < 1 || groups < 1 || outputChannels % groups != 0)
            throw new LayerConfigurationException(layer, $"needs positive outputChannels divisible by a positive groups, got outputChannels = {outputChannels}, groups = {groups}.");
        ConvOps.Positive(layer, "kernelSize, stride and dilation", [kernelSize, stride, dilation], 3);
        var pad = padding ?? Pad.Same;
        pad.Validate(layer, 1);
        return Hk.Module(n => new Conv1D(n, outputChannels, kernelSize, stride, pad, dilation, groups, withBias, wInit, bInit, dataFormat, mask), name);
    }

    /// <summary>Convolves <paramref name="x"/>.</summary>
    /// <param name="x">The input, <c>[N, W, C]</c> or <c>[N, C, W]</c> (or without N).</param>
    /// <returns>A model producing the output in the same layout.</returns>
    protected override Model<Tensor> Forward(Tensor x)
    {
        return ConvBody.Build(Name.Path, nameof(Conv1D), x, OutputChannels, [KernelSize], [Stride], Padding,
            [Dilation], Groups, WithBias, WInit, BInit, DataFormat, Mask);
    }
}
