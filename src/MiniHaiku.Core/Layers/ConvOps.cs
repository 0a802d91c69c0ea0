using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>Shared plumbing of the convolution and pooling layers (layouts, padding, rank checks).</summary>
internal static class ConvOps
{
    /// <summary>Brings an input to batched channels-first form; returns whether it was unbatched.</summary>
    public static (Tensor X, bool Unbatched) ToBatchedChannelsFirst(Tensor x, int spatialDims, DataFormat format, string path, string layer)
    {
        var rank = x.dim();
        if (rank != spatialDims + 1 && rank != spatialDims + 2)
            throw new LayerInputException(path,
                $"{layer} needs an input of rank {spatialDims + 2} (batched, {Describe(spatialDims, format)}) or {spatialDims + 1} (unbatched), got shape {ShapeText.Format(x.shape)}.");
        var unbatched = rank == spatialDims + 1;
        if (unbatched) x = x.unsqueeze(0);
        if (format == DataFormat.ChannelsLast) x = x.movedim([x.dim() - 1], [1]);
        return (x, unbatched);
    }

    /// <summary>Undoes <see cref="ToBatchedChannelsFirst"/>.</summary>
    public static Tensor FromBatchedChannelsFirst(Tensor y, DataFormat format, bool unbatched)
    {
        if (format == DataFormat.ChannelsLast) y = y.movedim([1], [y.dim() - 1]);
        return unbatched ? y.squeeze(0) : y;
    }

    public static string Describe(int spatialDims, DataFormat format) => (spatialDims, format) switch
    {
        (1, DataFormat.ChannelsLast) => "NWC",
        (1, _) => "NCW",
        (2, DataFormat.ChannelsLast) => "NHWC",
        (2, _) => "NCHW",
        (3, DataFormat.ChannelsLast) => "NDHWC",
        _ => "NCDHW",
    };

    /// <summary>Pads the spatial axes of a batched channels-first tensor; returns the input if no padding.</summary>
    public static Tensor PadSpatial(Tensor x, IReadOnlyList<(long Low, long High)> pads, double value = 0)
    {
        if (pads.All(p => p.Low == 0 && p.High == 0)) return x;
        // functional.pad lists the last axis first.
        var flat = new long[pads.Count * 2];
        for (var i = 0; i < pads.Count; i++)
        {
            var (lo, hi) = pads[pads.Count - 1 - i];
            flat[2 * i] = lo;
            flat[2 * i + 1] = hi;
        }
        return nn.functional.pad(x, flat, PaddingModes.Constant, value);
    }

    /// <summary>The spatial (low, high) paddings of a batched channels-first input.</summary>
    /// <exception cref="LayerInputException">The (dilated) window is larger than the padded input.</exception>
    public static (long Low, long High)[] Pads(Pad padding, long[] shape, IReadOnlyList<long> kernel, IReadOnlyList<long> stride,
        IReadOnlyList<long>? dilation, string path, string layer)
    {
        var n = kernel.Count;
        var pads = new (long, long)[n];
        for (var i = 0; i < n; i++)
        {
            var d = dilation?[i] ?? 1;
            pads[i] = padding.For(i, shape[2 + i], kernel[i], stride[i], d);
            var window = (kernel[i] - 1) * d + 1;
            var padded = shape[2 + i] + pads[i].Item1 + pads[i].Item2;
            if (window > padded)
                throw new LayerInputException(path,
                    $"{layer}'s window of {window} positions (kernel {kernel[i]}, dilation {d}) does not fit spatial axis {i} of size {shape[2 + i]} padded to {padded} (padding {padding}). Use a smaller kernel, SAME padding, or a larger input.");
        }
        return pads;
    }

    /// <summary>A convolution in Haiku's kernel layout <c>[k..., in/groups, out]</c> on a batched channels-first input.</summary>
    public static Tensor Convolve(Tensor x, Tensor w, long[] stride, (long Low, long High)[] pads, long[] dilation, long groups)
    {
        var n = stride.Length;
        // Haiku [k..., I, O] → torch [O, I, k...].
        var perm = new long[n + 2];
        perm[0] = n + 1;
        perm[1] = n;
        for (var i = 0; i < n; i++) perm[2 + i] = i;
        var weight = w.permute(perm);
        var symmetric = pads.All(p => p.Low == p.High);
        var input = symmetric ? x : PadSpatial(x, pads);
        var padding = symmetric ? pads.Select(p => p.Low).ToArray() : new long[n];
        return n switch
        {
            1 => nn.functional.conv1d(input, weight, null, stride[0], padding[0], dilation[0], groups),
            2 => nn.functional.conv2d(input, weight, null, stride, padding, dilation, groups),
            _ => nn.functional.conv3d(input, weight, null, stride, padding, dilation, groups),
        };
    }

    /// <summary>
    /// Haiku's <c>utils.replicate</c> with a positivity check: one value is repeated <paramref name="count"/> times,
    /// otherwise exactly <paramref name="count"/> values are needed.
    /// </summary>
    /// <exception cref="LayerConfigurationException">Wrong count or a value below 1.</exception>
    public static long[] Replicate(string layer, string what, IReadOnlyList<int> values, int count)
    {
        ArgumentNullException.ThrowIfNull(values);
        return Positive(layer, what, values.Count == 1 ? Enumerable.Repeat(values[0], count).ToArray() : values, count);
    }

    /// <summary>The number of spatial dimensions a general N-d layer supports (1, 2 or 3, as torch's convolutions).</summary>
    /// <exception cref="LayerConfigurationException">Outside 1–3.</exception>
    public static void SpatialDims(string layer, int numSpatialDims)
    {
        if (numSpatialDims is < 1 or > 3)
            throw new LayerConfigurationException(layer, $"numSpatialDims must be 1, 2 or 3, got {numSpatialDims}.");
    }

    public static long[] Positive(string layer, string what, IReadOnlyList<int> values, int count)
    {
        if (values.Count != count)
            throw new LayerConfigurationException(layer, $"{what} needs {count} values, got {values.Count}.");
        if (values.Any(v => v < 1))
            throw new LayerConfigurationException(layer, $"{what} must be positive, got ({string.Join(", ", values)}).");
        return values.Select(v => (long)v).ToArray();
    }
}

/// <summary>The body shared by the convolutions (<see cref="ConvND"/> and its 1-, 2- and 3-D front-ends, the depthwise ones).</summary>
internal static class ConvBody
{
    /// <summary>
    /// A convolution's parameters and forward pass. A positive <paramref name="channelMultiplier"/> makes it depthwise:
    /// one group per input channel, <c>channelMultiplier · in</c> outputs (<paramref name="groups"/> and
    /// <paramref name="outputChannels"/> are then ignored).
    /// </summary>
    public static Model<Tensor> Build(string path, string layer, Tensor x, int outputChannels, long[] kernel, long[] stride,
        Pad padding, long[] dilation, int groups, bool withBias, Initializer? wInit, Initializer? bInit, DataFormat format,
        Tensor? mask = null, int channelMultiplier = 0)
    {
        var n = kernel.Length;
        LayerChecks.RequireFloatingInput(path, layer, x);
        var (input, unbatched) = ConvOps.ToBatchedChannelsFirst(x, n, format, path, layer);
        var shape = input.shape;
        var inChannels = shape[1];
        if (channelMultiplier > 0)
        {
            // Depthwise (Haiku's DepthwiseConvND): one group per input channel, channelMultiplier outputs each.
            if (inChannels < 1)
                throw new LayerInputException(path, $"{layer} needs at least one input channel, got input shape {ShapeText.Format(x.shape)} ({ConvOps.Describe(n, format)}).");
            groups = checked((int)inChannels);
            outputChannels = checked(channelMultiplier * (int)inChannels);
        }
        if (inChannels % groups != 0)
            throw new LayerInputException(path, $"{layer} with {groups} groups needs input channels divisible by {groups}, got {inChannels} (input shape {ShapeText.Format(x.shape)}, {ConvOps.Describe(n, format)}).");
        var wShape = kernel.Append(inChannels / groups).Append(outputChannels).ToArray();
        var fanIn = wShape[..^1].Aggregate(1L, (a, b) => a * b);
        var dtype = x.dtype;
        var pads = ConvOps.Pads(padding, shape, kernel, stride, dilation, path, layer);
        CheckMask(path, layer, mask, wShape);
        var bShape = format == DataFormat.ChannelsLast ? new long[] { outputChannels } : [outputChannels, .. Enumerable.Repeat(1L, n)];
        return
            from w in Hk.GetParam("w", wShape, wInit ?? Initializers.TruncatedNormal(1.0 / Math.Sqrt(fanIn)), dtype)
            from b in withBias ? Hk.GetParam("b", bShape, bInit ?? Initializers.Zeros(), dtype) : Hk.Pure<Tensor?>(null)!
            select Finish(ConvOps.Convolve(input, Masked(w, mask), stride, pads, dilation, groups), b, format, unbatched);
    }

    /// <summary>Haiku's <c>mask</c>: it must have the kernel's shape exactly.</summary>
    /// <exception cref="LayerInputException">The shapes differ.</exception>
    public static void CheckMask(string path, string layer, Tensor? mask, long[] wShape)
    {
        if (mask is null) return;
        if (!mask.shape.SequenceEqual(wShape))
            throw new LayerInputException(path,
                $"{layer}'s mask must have the shape of the weights w, {ShapeText.Format(wShape)} for this input, got {ShapeText.Format(mask.shape)}.");
        if (mask.is_complex())
            throw new LayerInputException(path, $"{layer}'s mask must be real (boolean, integer or floating point), got dtype {mask.dtype}.");
    }

    /// <summary><c>w · mask</c> in <c>w</c>'s dtype, or <c>w</c> without a mask.</summary>
    public static Tensor Masked(Tensor w, Tensor? mask) =>
        mask is null ? w : w.mul(mask.to(w.dtype, w.device));

    /// <summary>Back to the input's layout, plus the bias.</summary>
    public static Tensor Finish(Tensor y, Tensor? b, DataFormat format, bool unbatched)
    {
        var output = ConvOps.FromBatchedChannelsFirst(y, format, unbatched);
        return b is null ? output : output.Plus(b);
    }
}
