using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// A 2-D transposed convolution (Haiku's <c>hk.Conv2DTranspose</c>, i.e. <c>lax.conv_transpose</c>):
/// the input is dilated by the stride, padded, and correlated with the kernel. Parameters: <c>w</c> of
/// shape <c>[kh, kw, out, in]</c> (Haiku's layout; default truncated normal with stddev
/// <c>1/√(kh·kw·in)</c>) and <c>b</c> (<c>[out]</c> for NHWC, <c>[out, 1, 1]</c> for NCHW). With SAME
/// padding the output is <c>in·stride</c>; with VALID, <c>in·stride + max(k − stride, 0)</c>.
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
public sealed record Conv2DTranspose(
    ModuleName Name, int OutputChannels, IReadOnlyList<long> KernelShape, IReadOnlyList<long> Stride, Pad Padding,
    bool WithBias, Initializer? WInit, Initializer? BInit, DataFormat DataFormat) : Module(Name)
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
    /// <param name="name">An explicit module name, or null for <c>Conv2DTranspose_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<Conv2DTranspose> Create(int outputChannels, int kernelSize, int stride = 1, Pad? padding = null,
        bool withBias = true, Initializer? wInit = null, Initializer? bInit = null,
        DataFormat dataFormat = DataFormat.ChannelsLast, string? name = null) =>
        Create(outputChannels, [kernelSize, kernelSize], [stride, stride], padding, withBias, wInit, bInit, dataFormat, name);

    /// <summary>Creates a transposed convolution with per-axis kernel and stride.</summary>
    /// <param name="outputChannels">The number of output channels.</param>
    /// <param name="kernelShape">(kh, kw).</param>
    /// <param name="stride">(sh, sw).</param>
    /// <param name="padding"><see cref="Pad.Same"/> (default) or <see cref="Pad.Valid"/>.</param>
    /// <param name="withBias">Whether to add a bias.</param>
    /// <param name="wInit">The initializer of <c>w</c>.</param>
    /// <param name="bInit">The initializer of <c>b</c>.</param>
    /// <param name="dataFormat">Where the channels are.</param>
    /// <param name="name">An explicit module name.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="LayerConfigurationException">A size is not positive, or the padding is explicit.</exception>
    public static Model<Conv2DTranspose> Create(int outputChannels, IReadOnlyList<int> kernelShape, IReadOnlyList<int> stride, Pad? padding,
        bool withBias = true, Initializer? wInit = null, Initializer? bInit = null,
        DataFormat dataFormat = DataFormat.ChannelsLast, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(kernelShape);
        ArgumentNullException.ThrowIfNull(stride);
        const string layer = nameof(Conv2DTranspose);
        if (outputChannels < 1) throw new LayerConfigurationException(layer, $"outputChannels must be positive, got {outputChannels}.");
        var k = ConvOps.Positive(layer, "kernelShape", kernelShape, 2);
        var s = ConvOps.Positive(layer, "stride", stride, 2);
        var pad = padding ?? Pad.Same;
        if (pad.Amounts is not null) throw new LayerConfigurationException(layer, "supports only Pad.Same and Pad.Valid, as Haiku does.");
        return Hk.Module(n => new Conv2DTranspose(n, outputChannels, k, s, pad, withBias, wInit, bInit, dataFormat), name);
    }

    /// <summary>Applies the transposed convolution.</summary>
    /// <param name="x">The input, <c>[N, H, W, C]</c> or <c>[N, C, H, W]</c> (or without N).</param>
    /// <returns>A model producing the upsampled output in the same layout.</returns>
    public Model<Tensor> Call(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        LayerChecks.RequireFloatingInput(Name.Path, nameof(Conv2DTranspose), x);
        var (input, unbatched) = ConvOps.ToBatchedChannelsFirst(x, 2, DataFormat, Name.Path, nameof(Conv2DTranspose));
        var inChannels = input.shape[1];
        long kh = KernelShape[0], kw = KernelShape[1];
        var dtype = x.dtype;
        long[] bShape = DataFormat == DataFormat.ChannelsLast ? [OutputChannels] : [OutputChannels, 1, 1];
        var pads = new[] { Pads(kh, Stride[0], Padding), Pads(kw, Stride[1], Padding) };
        return Method(
            from w in Hk.GetParam("w", [kh, kw, OutputChannels, inChannels], WInit ?? Initializers.TruncatedNormal(1.0 / Math.Sqrt(kh * kw * inChannels)), dtype)
            from b in WithBias ? Hk.GetParam("b", bShape, BInit ?? Initializers.Zeros(), dtype) : Hk.Pure<Tensor?>(null)!
            select Finish(Forward(input, w, pads), b, unbatched));
    }

    private Tensor Forward(Tensor x, Tensor w, (long, long)[] pads)
    {
        var dilated = Dilate(x, Stride[0], Stride[1]);
        var padded = ConvOps.PadSpatial(dilated, pads);
        // Haiku [kh, kw, O, I] → torch [O, I, kh, kw]; no flip (lax.conv_transpose with transpose_kernel=False).
        return nn.functional.conv2d(padded, w.permute(2, 3, 0, 1));
    }

    private Tensor Finish(Tensor y, Tensor? b, bool unbatched)
    {
        var output = ConvOps.FromBatchedChannelsFirst(y, DataFormat, unbatched);
        return b is null ? output : output.Plus(b);
    }

    /// <summary>Inserts stride − 1 zeros between neighbouring input positions (without in-place writes).</summary>
    private static Tensor Dilate(Tensor x, long sh, long sw)
    {
        if (sh == 1 && sw == 1) return x;
        var s = x.shape;
        long n = s[0], c = s[1], h = s[2], w = s[3];
        var spread = nn.functional.pad(x.reshape(n, c, h, 1, w, 1), [0, sw - 1, 0, 0, 0, sh - 1]);
        return spread.reshape(n, c, h * sh, w * sw)[.., .., ..(int)((h - 1) * sh + 1), ..(int)((w - 1) * sw + 1)];
    }

    /// <summary>The padding of the dilated input, as in JAX's <c>_conv_transpose_padding</c>.</summary>
    private static (long, long) Pads(long k, long s, Pad padding)
    {
        long total, low;
        if (padding.Kind == "SAME")
        {
            total = k + s - 2;
            low = s > k - 1 ? k - 1 : (total + 1) / 2;
        }
        else
        {
            total = k + s - 2 + Math.Max(k - s, 0);
            low = k - 1;
        }
        return (low, total - low);
    }
}

public static partial class LayerExtensions
{
    /// <summary>Creates the transposed convolution and calls it.</summary>
    /// <param name="conv">The model creating the module.</param>
    /// <param name="x">The input.</param>
    /// <returns>A model producing the output.</returns>
    public static Model<Tensor> Call(this Model<Conv2DTranspose> conv, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(conv);
        return conv.SelectMany(c => c.Call(x));
    }
}
