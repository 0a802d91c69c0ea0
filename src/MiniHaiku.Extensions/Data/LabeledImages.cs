using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Data;

/// <summary>
/// A set of grayscale images with class labels: <see cref="Images"/> is float32 [N, 1, H, W] scaled to
/// [0, 1], <see cref="Labels"/> is int64 [N]. Owns its tensors; dispose it to free them.
/// </summary>
/// <remarks>
/// The images are channels-first (NCHW, PyTorch's layout), while MiniHaiku's convolution, pooling and
/// normalization layers default to channels-last (NHWC, Haiku's <see cref="Layers.DataFormat.ChannelsLast"/>).
/// Feed a CNN with <see cref="BatchChannelsLast"/> or <see cref="SliceChannelsLast"/> ([B, H, W, 1], no copy
/// beyond the gather), or create its layers with <c>dataFormat: DataFormat.ChannelsFirst</c>. An MLP that
/// flattens the images sees the same pixels in the same order either way (one channel).
/// </remarks>
public sealed class LabeledImages : IDisposable
{
    /// <summary>Wraps tensors that already have the documented shapes and types.</summary>
    /// <param name="images">float32 [N, 1, H, W].</param>
    /// <param name="labels">int64 [N].</param>
    /// <param name="source">Where the examples come from (for messages).</param>
    public LabeledImages(Tensor images, Tensor labels, string source)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        var shape = images.shape;
        if (shape.Length != 4 || shape[1] != 1)
            throw new DataFormatException(source, $"Images must be [N, 1, H, W], got [{string.Join(", ", shape)}].");
        var labelShape = labels.shape;
        if (labelShape.Length != 1 || labelShape[0] != shape[0])
            throw new DataFormatException(source, $"Labels must be [{shape[0]}], got [{string.Join(", ", labelShape)}].");
        Images = images;
        Labels = labels;
        Count = shape[0];
        Height = shape[2];
        Width = shape[3];
        Source = source;
    }

    /// <summary>float32 [N, 1, H, W], values in [0, 1].</summary>
    public Tensor Images { get; }

    /// <summary>int64 [N] class indices.</summary>
    public Tensor Labels { get; }

    /// <summary>The number of examples N.</summary>
    public long Count { get; }

    /// <summary>The image height H.</summary>
    public long Height { get; }

    /// <summary>The image width W.</summary>
    public long Width { get; }

    /// <summary>Where the examples come from (a folder, file or resource name).</summary>
    public string Source { get; }

    /// <summary>
    /// Builds the tensors from an IDX image array [N, H, W] and an IDX label array [N].
    /// </summary>
    /// <param name="images">Unsigned-byte pixels, [N, H, W].</param>
    /// <param name="imagesName">The image file's name (for errors).</param>
    /// <param name="labels">Unsigned-byte labels, [N].</param>
    /// <param name="labelsName">The label file's name (for errors).</param>
    /// <param name="classCount">If given, every label must be below it.</param>
    /// <returns>The examples.</returns>
    /// <exception cref="DataFormatException">Wrong dimensions or a label out of range.</exception>
    /// <exception cref="DataMismatchException">Different numbers of images and labels.</exception>
    public static LabeledImages FromIdx(IdxArray images, string imagesName, IdxArray labels, string labelsName, int? classCount = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (images.Shape.Length != 3)
            throw new DataFormatException(imagesName, $"images must have 3 dimensions [count, rows, columns], found {images.Shape.Length}.");
        if (labels.Shape.Length != 1)
            throw new DataFormatException(labelsName, $"labels must have 1 dimension [count], found {labels.Shape.Length}.");
        if (images.Shape[0] != labels.Shape[0])
            throw new DataMismatchException(imagesName, images.Shape[0], labelsName, labels.Shape[0]);
        if (classCount is { } classes)
        {
            var bad = Array.FindIndex(labels.Data, b => b >= classes);
            if (bad >= 0)
                throw new DataFormatException(labelsName, $"label {labels.Data[bad]} at index {bad} is out of range: there are {classes} classes (0 to {classes - 1}).");
        }
        long n = images.Shape[0], h = images.Shape[1], w = images.Shape[2];
        using var scope = torch.NewDisposeScope();
        var pixels = torch.tensor(images.Data, [n, 1, h, w], dtype: ScalarType.Byte);
        var asFloat = pixels.to_type(ScalarType.Float32);
        var floats = SafeOps.WithScalar(255.0, s => asFloat.div_(s));
        var labelValues = new long[labels.Data.Length];
        for (var i = 0; i < labelValues.Length; i++) labelValues[i] = labels.Data[i];
        var labelTensor = torch.tensor(labelValues, [n], dtype: ScalarType.Int64);
        return new LabeledImages(floats.MoveToOuterDisposeScope(), labelTensor.MoveToOuterDisposeScope(), imagesName);
    }

    /// <summary>The examples at <paramref name="indices"/> (a new tensor pair; the caller disposes them).</summary>
    /// <param name="indices">int64 [B] row indices.</param>
    /// <returns>Images [B, 1, H, W] and labels [B].</returns>
    public (Tensor Images, Tensor Labels) Batch(Tensor indices) =>
        (Images.index_select(0, indices), Labels.index_select(0, indices));

    /// <summary>Examples <paramref name="start"/> to <paramref name="start"/> + <paramref name="length"/> (views).</summary>
    /// <param name="start">The first row.</param>
    /// <param name="length">The number of rows.</param>
    /// <returns>Images [length, 1, H, W] and labels [length].</returns>
    public (Tensor Images, Tensor Labels) Slice(long start, long length) =>
        (Images.narrow(0, start, length), Labels.narrow(0, start, length));

    /// <summary>
    /// Like <see cref="Batch"/>, with the images channels-last: [B, H, W, 1], the layout MiniHaiku's
    /// convolution, pooling and normalization layers expect by default (NHWC, as Haiku).
    /// </summary>
    /// <param name="indices">int64 [B] row indices.</param>
    /// <returns>Images [B, H, W, 1] and labels [B] (new tensors; the caller disposes them).</returns>
    /// <example><code>
    /// var (x, y) = train.BatchChannelsLast(indices);   // x: [B, 28, 28, 1]
    /// var logits = cnn.Apply(parameters, x);           // Conv2D.Create(32, 3) is NHWC by default
    /// </code></example>
    public (Tensor Images, Tensor Labels) BatchChannelsLast(Tensor indices)
    {
        using var gathered = Images.index_select(0, indices);
        return (ToChannelsLast(gathered), Labels.index_select(0, indices));
    }

    /// <summary>Like <see cref="Slice"/>, with the images channels-last: [length, H, W, 1] (views).</summary>
    /// <param name="start">The first row.</param>
    /// <param name="length">The number of rows.</param>
    /// <returns>Images [length, H, W, 1] and labels [length].</returns>
    public (Tensor Images, Tensor Labels) SliceChannelsLast(long start, long length)
    {
        using var rows = Images.narrow(0, start, length);
        return (ToChannelsLast(rows), Labels.narrow(0, start, length));
    }

    // [B, 1, H, W] and [B, H, W, 1] hold one channel in the same memory order: a view, not a copy.
    private Tensor ToChannelsLast(Tensor images) => images.view(images.shape[0], Height, Width, 1);

    /// <inheritdoc />
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
