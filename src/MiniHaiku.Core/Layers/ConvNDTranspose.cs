using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// A general N-d transposed convolution, N = 1, 2 or 3 (Haiku's <c>hk.ConvNDTranspose</c>, i.e.
/// <c>lax.conv_transpose</c>): the input is dilated by the stride, padded, and correlated with the kernel (not
/// flipped). <see cref="Conv1DTranspose"/>, <see cref="Conv2DTranspose"/> and <see cref="Conv3DTranspose"/> are its
/// fixed-N front-ends and share its implementation. Parameters: <c>w</c> of shape <c>[k₁, …, k_N, out, in]</c>
/// (default truncated normal with stddev <c>1/√(∏k·in)</c>) and <c>b</c> (<c>[out]</c> channels last,
/// <c>[out, 1, …, 1]</c> channels first). Without <see cref="OutputShape"/>, SAME gives <c>in·stride</c> positions per
/// axis and VALID <c>in·stride + max(k − stride, 0)</c>; with it, the padding is adjusted (Haiku's
/// <c>compute_adjusted_padding</c>) to produce exactly that spatial shape.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="NumSpatialDims">N: 1, 2 or 3.</param>
/// <param name="OutputChannels">The number of output channels.</param>
/// <param name="KernelShape">The kernel size per spatial axis.</param>
/// <param name="Stride">The upsampling factor per spatial axis.</param>
/// <param name="OutputShape">The spatial output shape, or null for the one implied by the padding.</param>
/// <param name="Padding">SAME or VALID.</param>
/// <param name="WithBias">Whether to add <c>b</c>.</param>
/// <param name="WInit">The initializer of <c>w</c>; null for the default.</param>
/// <param name="BInit">The initializer of <c>b</c>; null for zeros.</param>
/// <param name="DataFormat">Where the channels are.</param>
/// <param name="Mask">Haiku's <c>mask</c>: multiplies <c>w</c> elementwise (same shape); null for none.</param>
/// <example>
/// <code>
/// return ConvNDTranspose.Create(2, 16, [4], stride: [2]).Call(x);   // [N, H, W, C] → [N, 2H, 2W, 16]
/// </code>
/// </example>
public sealed record ConvNDTranspose(
    ModuleName Name, int NumSpatialDims, int OutputChannels, IReadOnlyList<long> KernelShape, IReadOnlyList<long> Stride,
    IReadOnlyList<long>? OutputShape, Pad Padding, bool WithBias, Initializer? WInit, Initializer? BInit, DataFormat DataFormat, Tensor? Mask) : Layer(Name)
{
    /// <summary>Creates an N-d transposed convolution.</summary>
    /// <param name="numSpatialDims">N: 1, 2 or 3.</param>
    /// <param name="outputChannels">The number of output channels.</param>
    /// <param name="kernelShape">One size for every axis, or N sizes.</param>
    /// <param name="stride">One stride or N; default 1.</param>
    /// <param name="outputShape">One size or N: the spatial output shape; null for the one implied by the padding.</param>
    /// <param name="padding"><see cref="Pad.Same"/> (default) or <see cref="Pad.Valid"/>.</param>
    /// <param name="withBias">Whether to add a bias.</param>
    /// <param name="wInit">The initializer of <c>w</c>.</param>
    /// <param name="bInit">The initializer of <c>b</c>.</param>
    /// <param name="dataFormat">Default channels last, as in Haiku.</param>
    /// <param name="mask">Haiku's <c>mask</c>, of <c>w</c>'s shape; null for none.</param>
    /// <param name="name">An explicit module name, or null for <c>ConvNDTranspose_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="LayerConfigurationException">N is not 1–3, a size is not positive, or the padding is explicit.</exception>
    public static Model<ConvNDTranspose> Create(int numSpatialDims, int outputChannels, IReadOnlyList<int> kernelShape, IReadOnlyList<int>? stride = null,
        IReadOnlyList<int>? outputShape = null, Pad? padding = null, bool withBias = true, Initializer? wInit = null, Initializer? bInit = null,
        DataFormat dataFormat = DataFormat.ChannelsLast, Tensor? mask = null, string? name = null)
    {
        var c = ConvTransposeConfig.Validate(nameof(ConvNDTranspose), numSpatialDims, outputChannels, kernelShape, stride, outputShape, padding);
        return Hk.Module(n => new ConvNDTranspose(n, numSpatialDims, outputChannels, c.Kernel, c.Stride, c.OutputShape, c.Padding, withBias,
            wInit, bInit, dataFormat, mask), name);
    }

    /// <summary>Applies the transposed convolution.</summary>
    /// <param name="x">The input, <c>[N, spatial…, C]</c> or <c>[N, C, spatial…]</c> (or without N).</param>
    /// <returns>A model producing the upsampled output in the same layout.</returns>
    /// <exception cref="LayerInputException">Wrong rank, a mask of the wrong shape, or an input that cannot give <see cref="OutputShape"/>.</exception>
    protected override Model<Tensor> Forward(Tensor x)
    {
        return ConvTransposeBody.Build(Name.Path, nameof(ConvNDTranspose), x, OutputChannels, KernelShape.ToArray(), Stride.ToArray(),
            OutputShape?.ToArray(), Padding, WithBias, WInit, BInit, DataFormat, Mask);
    }
}

/// <summary>A transposed convolution's validated spatial configuration.</summary>
internal sealed record ConvTransposeConfig(long[] Kernel, long[] Stride, long[]? OutputShape, Pad Padding)
{
    public static ConvTransposeConfig Validate(string layer, int n, int outputChannels, IReadOnlyList<int> kernel, IReadOnlyList<int>? stride,
        IReadOnlyList<int>? outputShape, Pad? padding)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ConvOps.SpatialDims(layer, n);
        if (outputChannels < 1) throw new LayerConfigurationException(layer, $"outputChannels must be positive, got {outputChannels}.");
        var pad = padding ?? Pad.Same;
        if (pad.Amounts is not null) throw new LayerConfigurationException(layer, "supports only Pad.Same and Pad.Valid.");
        return new ConvTransposeConfig(
            ConvOps.Replicate(layer, "kernelShape", kernel, n),
            ConvOps.Replicate(layer, "stride", stride ?? [1], n),
            outputShape is null ? null : ConvOps.Replicate(layer, "outputShape", outputShape, n),
            pad);
    }
}

/// <summary>The body shared by the transposed convolutions.</summary>
internal static class ConvTransposeBody
{
    public static Model<Tensor> Build(string path, string layer, Tensor x, int outputChannels, long[] kernel, long[] stride, long[]? outputShape,
        Pad padding, bool withBias, Initializer? wInit, Initializer? bInit, DataFormat format, Tensor? mask)
    {
        var n = kernel.Length;
        var (input, unbatched) = ConvOps.ToBatchedChannelsFirst(x, n, format, path, layer);
        var inChannels = input.shape[1];
        long[] wShape = [.. kernel, outputChannels, inChannels];
        ConvBody.CheckMask(path, layer, mask, wShape);
        var fanIn = kernel.Aggregate(inChannels, (a, b) => a * b);
        var pads = new (long Low, long High)[n];
        for (var i = 0; i < n; i++)
            pads[i] = outputShape is null
                ? Padding(kernel[i], stride[i], padding)
                : AdjustedPadding(input.shape[2 + i], outputShape[i], kernel[i], stride[i], padding, i, path, layer, x);
        var dtype = x.dtype;
        var bShape = format == DataFormat.ChannelsLast ? new long[] { outputChannels } : [outputChannels, .. Enumerable.Repeat(1L, n)];
        return
            from w in Hk.GetParam("w", wShape, wInit ?? Initializers.TruncatedNormal(1.0 / Math.Sqrt(fanIn)), dtype)
            from b in withBias ? Hk.GetParam("b", bShape, bInit ?? Initializers.Zeros(), dtype) : Hk.Pure<Tensor?>(null)!
            select ConvBody.Finish(Forward(input, ConvBody.Masked(w, mask), stride, pads), b, format, unbatched);
    }

    /// <summary>
    /// <c>lax.conv_transpose</c>: correlate the stride-dilated input, padded by <paramref name="pads"/>, with the unflipped
    /// kernel. Torch's native transposed convolution with the flipped kernel gives the same over the "full" padding
    /// (k − 1, k − 1), so the result is that output re-padded by (low − (k − 1), high − (k − 1)) per axis: negative
    /// amounts crop, positive ones add zeros. No multiplications by the dilation's zeros.
    /// </summary>
    private static Tensor Forward(Tensor x, Tensor w, long[] stride, (long Low, long High)[] pads)
    {
        var n = stride.Length;
        // Haiku [k..., O, I] → torch's transposed-convolution weight [I, O, k...], flipped along the spatial axes.
        long[] permutation = [n + 1, n, .. Enumerable.Range(0, n).Select(i => (long)i)];
        var weight = w.permute(permutation).flip(Enumerable.Range(2, n).Select(i => (long)i).ToArray());
        var full = n switch
        {
            1 => nn.functional.conv_transpose1d(x, weight, null, stride[0]),
            2 => nn.functional.conv_transpose2d(x, weight, null, stride),
            _ => nn.functional.conv_transpose3d(x, weight, null, stride),
        };
        var kernel = w.shape;
        var crop = new long[2 * n]; // functional.pad lists the last axis first
        for (var i = 0; i < n; i++)
        {
            var fullPad = kernel[i] - 1;
            crop[2 * (n - 1 - i)] = pads[i].Low - fullPad;
            crop[2 * (n - 1 - i) + 1] = pads[i].High - fullPad;
        }
        return crop.All(c => c == 0) ? full : nn.functional.pad(full, crop);
    }

    /// <summary>The padding of the dilated input for SAME or VALID, as in JAX's <c>_conv_transpose_padding</c>.</summary>
    private static (long, long) Padding(long k, long s, Pad padding)
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

    /// <summary>Haiku's <c>compute_adjusted_padding</c>: the padding that gives <paramref name="output"/> positions.</summary>
    private static (long, long) AdjustedPadding(long input, long output, long k, long s, Pad padding, int axis, string path, string layer, Tensor x)
    {
        var valid = padding.Kind == "VALID";
        var expected = valid ? (output - k + s) / s : (output + s - 1) / s;
        if (input != expected)
            throw new LayerInputException(path,
                $"{layer} with kernel {k}, stride {s} and {padding} padding makes {output} positions on spatial axis {axis} from an input of {expected}, got {input} (input shape {ShapeText.Format(x.shape)}). Change outputShape or the input.");
        var before = valid ? 0 : Math.Max(0, (input - 1) * s + k - output) / 2;
        var low = k - 1 - before;
        var high = output + k - 1 - ((input - 1) * s + 1) - low;
        return (low, high);
    }
}
