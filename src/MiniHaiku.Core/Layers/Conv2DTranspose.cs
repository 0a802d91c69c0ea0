using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// A 2-D transposed convolution (Haiku's <c>hk.Conv2DTranspose</c>, i.e. <c>lax.conv_transpose</c>):
/// the input is dilated by the stride, padded, and correlated with the kernel. Parameters: <c>w</c> of
/// shape <c>[kh, kw, out, in]</c> (Haiku's layout; default truncated normal with stddev
/// <c>1/√(kh·kw·in)</c>) and <c>b</c> (<c>[out]</c> for NHWC, <c>[out, 1, 1]</c> for NCHW). With SAME
/// padding the output is <c>in·stride</c>; with VALID, <c>in·stride + max(k − stride, 0)</c>;
/// <see cref="OutputShape"/> asks for a given (h, w). The N = 2 front-end of <see cref="ConvNDTranspose"/>.
/// </summary>
/// <remarks>
/// Like JAX (and unlike <c>torch.nn.ConvTranspose2d</c>) the kernel is not flipped: a torch module gives
/// the same result with weight <c>w.permute(3, 2, 0, 1).flip(2, 3)</c> and the matching crop.
/// </remarks>
/// <param name="Name">The module's name.</param>
/// <param name="OutputChannels">The number of output channels.</param>
/// <param name="KernelShape">(kh, kw).</param>
/// <param name="Stride">(sh, sw).</param>
/// <param name="Padding">SAME or VALID.</param>
/// <param name="WithBias">Whether to add <c>b</c>.</param>
/// <param name="WInit">The initializer of <c>w</c>; null for the default.</param>
/// <param name="BInit">The initializer of <c>b</c>; null for zeros.</param>
/// <param name="DataFormat">Where the channels are.</param>
/// <param name="OutputShape">The spatial output shape (h, w), or null for the one implied by the padding.</param>
/// <param name="Mask">Haiku's <c>mask</c>: multiplies <c>w</c> elementwise (same shape); null for none.</param>
/// <example>
/// <code>
/// return Conv2DTranspose.Create(16, 4, stride: 2).Call(x);   // [N, H, W, C] → [N, 2H, 2W, 16]
/// </code>
/// </example>
public sealed record Conv2DTranspose(
    ModuleName Name, int OutputChannels, IReadOnlyList<long> KernelShape, IReadOnlyList<long> Stride, Pad Padding,
    bool WithBias, Initializer? WInit, Initializer? BInit, DataFormat DataFormat, IReadOnlyList<long>? OutputShape = null, Tensor? Mask = null) : Layer(Name)
{
    /// <summary>Creates a transposed convolution with a square kernel.</summary>
    /// <param name="outputChannels">The number of output channels.</param>
    /// <param name="kernelSize">The kernel's height and width.</param>
    /// <param name="stride">The upsampling factor along both axes.</param>
    /// <param name="padding"><see cref="Pad.Same"/> (default) or <see cref="Pad.Valid"/>.</param>
    /// <param name="withBias">Whether to add a bias.</param>
    /// <param name="wInit">The initializer of <c>w</c>.</param>
    /// <param name="bInit">The initializer of <c>b</c>.</param>
    /// <param name="dataFormat">Default channels last (NHWC).</param>
    /// <param name="outputShape">The spatial output shape: (h, w), or one size for both; null for the one implied by the padding.</param>
    /// <param name="mask">Haiku's <c>mask</c>, of <c>w</c>'s shape; null for none.</param>
    /// <param name="name">An explicit module name, or null for <c>Conv2DTranspose_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<Conv2DTranspose> Create(int outputChannels, int kernelSize, int stride = 1, Pad? padding = null,
        bool withBias = true, Initializer? wInit = null, Initializer? bInit = null,
        DataFormat dataFormat = DataFormat.ChannelsLast, IReadOnlyList<int>? outputShape = null, Tensor? mask = null, string? name = null) =>
        Create(outputChannels, [kernelSize, kernelSize], [stride, stride], padding, withBias, wInit, bInit, dataFormat, outputShape, mask, name);

    /// <summary>Creates a transposed convolution with per-axis kernel and stride.</summary>
    /// <param name="outputChannels">The number of output channels.</param>
    /// <param name="kernelShape">(kh, kw).</param>
    /// <param name="stride">(sh, sw).</param>
    /// <param name="padding"><see cref="Pad.Same"/> (default) or <see cref="Pad.Valid"/>.</param>
    /// <param name="withBias">Whether to add a bias.</param>
    /// <param name="wInit">The initializer of <c>w</c>.</param>
    /// <param name="bInit">The initializer of <c>b</c>.</param>
    /// <param name="dataFormat">Where the channels are.</param>
    /// <param name="outputShape">The spatial output shape: (h, w), or one size for both; null for the one implied by the padding.</param>
    /// <param name="mask">Haiku's <c>mask</c>, of <c>w</c>'s shape; null for none.</param>
    /// <param name="name">An explicit module name.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="LayerConfigurationException">A size is not positive, or the padding is explicit.</exception>
    public static Model<Conv2DTranspose> Create(int outputChannels, IReadOnlyList<int> kernelShape, IReadOnlyList<int> stride, Pad? padding,
        bool withBias = true, Initializer? wInit = null, Initializer? bInit = null,
        DataFormat dataFormat = DataFormat.ChannelsLast, IReadOnlyList<int>? outputShape = null, Tensor? mask = null, string? name = null)
    {
        var c = ConvTransposeConfig.Validate(nameof(Conv2DTranspose), 2, outputChannels, kernelShape, stride, outputShape, padding);
        return Hk.Module(n => new Conv2DTranspose(n, outputChannels, c.Kernel, c.Stride, c.Padding, withBias, wInit, bInit, dataFormat, c.OutputShape, mask), name);
    }

    /// <summary>Applies the transposed convolution.</summary>
    /// <param name="x">The input, <c>[N, H, W, C]</c> or <c>[N, C, H, W]</c> (or without N).</param>
    /// <returns>A model producing the upsampled output in the same layout.</returns>
    /// <exception cref="LayerInputException">Wrong rank, a mask of the wrong shape, or an input that cannot give <see cref="OutputShape"/>.</exception>
    protected override Model<Tensor> Forward(Tensor x)
    {
        LayerChecks.RequireFloatingInput(Name.Path, nameof(Conv2DTranspose), x);
        return ConvTransposeBody.Build(Name.Path, nameof(Conv2DTranspose), x, OutputChannels, KernelShape.ToArray(), Stride.ToArray(),
            OutputShape?.ToArray(), Padding, WithBias, WInit, BInit, DataFormat, Mask);
    }
}
