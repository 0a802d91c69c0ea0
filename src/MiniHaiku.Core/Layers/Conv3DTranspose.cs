using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// A 3-D transposed convolution (Haiku's <c>hk.Conv3DTranspose</c>), the N = 3 front-end of
/// <see cref="ConvNDTranspose"/> (<c>lax.conv_transpose</c> semantics, kernel not flipped). Parameters: <c>w</c> of
/// shape <c>[kd, kh, kw, out, in]</c> (default truncated normal with stddev <c>1/√(kd·kh·kw·in)</c>) and <c>b</c>
/// (<c>[out]</c> for NDHWC, <c>[out, 1, 1, 1]</c> for NCDHW). With SAME padding the output is <c>in·stride</c> per axis;
/// with VALID, <c>in·stride + max(k − stride, 0)</c>; <see cref="OutputShape"/> asks for a given spatial shape.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="OutputChannels">The number of output channels.</param>
/// <param name="KernelShape">(kd, kh, kw).</param>
/// <param name="Stride">(sd, sh, sw).</param>
/// <param name="OutputShape">The spatial output shape, or null for the one implied by the padding.</param>
/// <param name="Padding">SAME or VALID.</param>
/// <param name="WithBias">Whether to add <c>b</c>.</param>
/// <param name="WInit">The initializer of <c>w</c>; null for the default.</param>
/// <param name="BInit">The initializer of <c>b</c>; null for zeros.</param>
/// <param name="DataFormat">Where the channels are.</param>
/// <param name="Mask">Haiku's <c>mask</c> of <c>w</c>'s shape; null for none.</param>
/// <example>
/// <code>
/// return Conv3DTranspose.Create(8, 4, stride: 2).Call(x);    // [N, D, H, W, C] → [N, 2D, 2H, 2W, 8]
/// </code>
/// </example>
public sealed record Conv3DTranspose(
    ModuleName Name, int OutputChannels, IReadOnlyList<long> KernelShape, IReadOnlyList<long> Stride, IReadOnlyList<long>? OutputShape,
    Pad Padding, bool WithBias, Initializer? WInit, Initializer? BInit, DataFormat DataFormat, Tensor? Mask) : Layer(Name)
{
    /// <summary>Creates a 3-D transposed convolution with the same kernel size, stride and output size on every axis.</summary>
    /// <param name="outputChannels">The number of output channels.</param>
    /// <param name="kernelSize">The kernel size.</param>
    /// <param name="stride">The upsampling factor.</param>
    /// <param name="outputSize">The spatial output size per axis; null for the one implied by the padding.</param>
    /// <param name="padding"><see cref="Pad.Same"/> (default) or <see cref="Pad.Valid"/>.</param>
    /// <param name="withBias">Whether to add a bias.</param>
    /// <param name="wInit">The initializer of <c>w</c>.</param>
    /// <param name="bInit">The initializer of <c>b</c>.</param>
    /// <param name="dataFormat">Default channels last (NDHWC), as in Haiku.</param>
    /// <param name="mask">Haiku's <c>mask</c>, of <c>w</c>'s shape; null for none.</param>
    /// <param name="name">An explicit module name, or null for <c>Conv3DTranspose_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<Conv3DTranspose> Create(int outputChannels, int kernelSize, int stride = 1, int? outputSize = null, Pad? padding = null,
        bool withBias = true, Initializer? wInit = null, Initializer? bInit = null, DataFormat dataFormat = DataFormat.ChannelsLast,
        Tensor? mask = null, string? name = null) =>
        Create(outputChannels, [kernelSize], [stride], outputSize is { } o ? [o] : null, padding, withBias, wInit, bInit, dataFormat, mask, name);

    /// <summary>Creates a 3-D transposed convolution.</summary>
    /// <param name="outputChannels">The number of output channels.</param>
    /// <param name="kernelShape">(kd, kh, kw), or one size for all axes.</param>
    /// <param name="stride">(sd, sh, sw), or one for all axes; default 1.</param>
    /// <param name="outputShape">The spatial output shape ((d, h, w), or one size for all); null for the one implied by the padding.</param>
    /// <param name="padding"><see cref="Pad.Same"/> (default) or <see cref="Pad.Valid"/>.</param>
    /// <param name="withBias">Whether to add a bias.</param>
    /// <param name="wInit">The initializer of <c>w</c>.</param>
    /// <param name="bInit">The initializer of <c>b</c>.</param>
    /// <param name="dataFormat">Default channels last (NDHWC), as in Haiku.</param>
    /// <param name="mask">Haiku's <c>mask</c>, of <c>w</c>'s shape; null for none.</param>
    /// <param name="name">An explicit module name, or null for <c>Conv3DTranspose_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="LayerConfigurationException">A size is not positive, or the padding is explicit.</exception>
    public static Model<Conv3DTranspose> Create(int outputChannels, IReadOnlyList<int> kernelShape, IReadOnlyList<int>? stride = null,
        IReadOnlyList<int>? outputShape = null, Pad? padding = null, bool withBias = true, Initializer? wInit = null, Initializer? bInit = null,
        DataFormat dataFormat = DataFormat.ChannelsLast, Tensor? mask = null, string? name = null)
    {
        var c = ConvTransposeConfig.Validate(nameof(Conv3DTranspose), 3, outputChannels, kernelShape, stride, outputShape, padding);
        return Hk.Module(n => new Conv3DTranspose(n, outputChannels, c.Kernel, c.Stride, c.OutputShape, c.Padding, withBias, wInit, bInit, dataFormat, mask), name);
    }

    /// <summary>Applies the transposed convolution.</summary>
    /// <param name="x">The input, <c>[N, D, H, W, C]</c> or <c>[N, C, D, H, W]</c> (or without N).</param>
    /// <returns>A model producing the upsampled output in the same layout.</returns>
    /// <exception cref="LayerInputException">Wrong rank, a mask of the wrong shape, or an input that cannot give <see cref="OutputShape"/>.</exception>
    protected override Model<Tensor> Forward(Tensor x)
    {
        return ConvTransposeBody.Build(Name.Path, nameof(Conv3DTranspose), x, OutputChannels, KernelShape.ToArray(), Stride.ToArray(),
            OutputShape?.ToArray(), Padding, WithBias, WInit, BInit, DataFormat, Mask);
    }
}
