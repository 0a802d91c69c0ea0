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
        _ => "NCHW",
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
        return n == 1
            ? nn.functional.conv1d(input, weight, null, stride[0], padding[0], dilation[0], groups)
            : nn.functional.conv2d(input, weight, null, stride, padding, dilation, groups);
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

/// <summary>The body shared by <see cref="Conv1D"/> and <see cref="Conv2D"/>.</summary>
internal static class ConvBody
{
    public static Model<Tensor> Build(string path, string layer, Tensor x, int outputChannels, long[] kernel, long[] stride,
        Pad padding, long[] dilation, int groups, bool withBias, Initializer? wInit, Initializer? bInit, DataFormat format)
    {
        var n = kernel.Length;
        LayerChecks.RequireFloatingInput(path, layer, x);
        var (input, unbatched) = ConvOps.ToBatchedChannelsFirst(x, n, format, path, layer);
        var shape = input.shape;
        var inChannels = shape[1];
        if (inChannels % groups != 0)
            throw new LayerInputException(path, $"{layer} with {groups} groups needs input channels divisible by {groups}, got {inChannels} (input shape {ShapeText.Format(x.shape)}, {ConvOps.Describe(n, format)}).");
        var wShape = kernel.Append(inChannels / groups).Append(outputChannels).ToArray();
        var fanIn = wShape[..^1].Aggregate(1L, (a, b) => a * b);
        var dtype = x.dtype;
        var pads = ConvOps.Pads(padding, shape, kernel, stride, dilation, path, layer);
        var bShape = format == DataFormat.ChannelsLast ? new long[] { outputChannels } : [outputChannels, .. Enumerable.Repeat(1L, n)];
        return
            from w in Hk.GetParam("w", wShape, wInit ?? Initializers.TruncatedNormal(1.0 / Math.Sqrt(fanIn)), dtype)
            from b in withBias ? Hk.GetParam("b", bShape, bInit ?? Initializers.Zeros(), dtype) : Hk.Pure<Tensor?>(null)!
            select Finish(ConvOps.Convolve(input, w, stride, pads, dilation, groups), b, format, unbatched);
    }

    private static Tensor Finish(Tensor y, Tensor? b, DataFormat format, bool unbatched)
    {
        var output = ConvOps.FromBatchedChannelsFirst(y, format, unbatched);
        return b is null ? output : output.Plus(b);
    }
}
