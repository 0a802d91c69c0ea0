using MiniHaiku.Data;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.FashionMnistExample;

/// <summary>Images to classify, with a name for each (the file, or the file and index inside an IDX file).</summary>
/// <param name="Images">float32 [N, 1, 28, 28] in [0, 1], like the training data.</param>
/// <param name="Names">One name per image.</param>
/// <param name="SkippedLabelFiles">IDX files of a folder that hold labels (one dimension), not images: left out.</param>
public sealed record PredictInputs(Tensor Images, IReadOnlyList<string> Names, IReadOnlyList<string> SkippedLabelFiles) : IDisposable
{
    /// <summary>The image side the models take.</summary>
    public const int Side = 28;

    /// <summary>The file endings <see cref="Load"/> reads from a folder.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".png", "-ubyte", "-ubyte.gz", ".idx", ".idx.gz"];

    /// <inheritdoc />
    public void Dispose() => Images.Dispose();

    /// <summary>
    /// Loads a PNG (any size or colour: converted to grey levels and resized to 28×28; Fashion-MNIST shows a light
    /// object on a black background), an IDX image file (<c>[N, 28, 28]</c> or <c>[28, 28]</c> unsigned bytes, plain or
    /// gzip), or every such file of a folder, in name order (a folder's IDX label files, of one dimension, are left
    /// out, so the Fashion-MNIST folder itself can be classified).
    /// </summary>
    /// <param name="path">A file or a folder.</param>
    /// <returns>The images.</returns>
    /// <exception cref="DataFileNotFoundException">Nothing exists at <paramref name="path"/>.</exception>
    /// <exception cref="DataFormatException">A file is not a readable PNG or IDX image file, or the folder holds none.</exception>
    public static PredictInputs Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var files = Directory.Exists(path)
            ? Directory.EnumerateFiles(path).Where(f => Extensions.Any(e => f.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
                .Order(StringComparer.Ordinal).ToList()
            : File.Exists(path) ? [path] : throw new DataFileNotFoundException(path);
        if (files.Count == 0)
            throw new DataFormatException(path, $"holds no images to classify (files ending in {string.Join(", ", Extensions)}).");
        var folder = files.Count > 1 || Directory.Exists(path);
        var pixels = new List<byte>();
        var names = new List<string>();
        var skipped = new List<string>();
        foreach (var file in files)
        {
            if (file.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) ReadPng(file, pixels, names);
            else if (!ReadIdx(file, pixels, names, folder)) skipped.Add(file);
        }
        if (names.Count == 0)
            throw new DataFormatException(path, $"holds no images to classify, only label files ({string.Join(", ", skipped.Select(Path.GetFileName))}).");
        using var scope = torch.NewDisposeScope();
        var bytes = torch.tensor(pixels.ToArray(), [names.Count, 1, Side, Side], dtype: ScalarType.Byte);
        var images = bytes.to_type(ScalarType.Float32).div(torch.tensor(255f));
        return new PredictInputs(images.MoveToOuterDisposeScope(), names, skipped);
    }

    private static void ReadPng(string file, List<byte> pixels, List<string> names)
    {
        using var decoded = SKBitmap.Decode(file)
            ?? throw new DataFormatException(file, "is not a readable PNG image.");
        using var grey = new SKBitmap(new SKImageInfo(decoded.Width, decoded.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        if (!decoded.CopyTo(grey, SKColorType.Rgba8888))
            throw new DataFormatException(file, "could not be converted to RGBA.");
        using var sized = decoded.Width == Side && decoded.Height == Side
            ? grey.Copy()
            : grey.Resize(new SKImageInfo(Side, Side, SKColorType.Rgba8888, SKAlphaType.Unpremul), new SKSamplingOptions(SKCubicResampler.Mitchell));
        if (sized is null) throw new DataFormatException(file, $"could not be resized from {decoded.Width}×{decoded.Height} to {Side}×{Side}.");
        for (var y = 0; y < Side; y++)
            for (var x = 0; x < Side; x++)
            {
                var c = sized.GetPixel(x, y);
                // ITU-R BT.601 luma; transparent pixels count as the black background.
                var luma = (0.299 * c.Red + 0.587 * c.Green + 0.114 * c.Blue) * c.Alpha / 255.0;
                pixels.Add((byte)Math.Clamp(Math.Round(luma), 0, 255));
            }
        names.Add(file);
    }

    /// <returns>False when <paramref name="inFolder"/> and the file holds labels (one dimension): it is left out.</returns>
    private static bool ReadIdx(string file, List<byte> pixels, List<string> names, bool inFolder)
    {
        var idx = IdxReader.Read(file);
        var shape = idx.Shape;
        if (inFolder && shape.Length == 1) return false;
        if (shape.Length is not (2 or 3) || shape[^1] != Side || shape[^2] != Side)
            throw new DataFormatException(file, $"holds an array of shape ({string.Join(", ", shape)}); predict takes images [N, {Side}, {Side}] or one image [{Side}, {Side}].");
        var count = shape.Length == 3 ? shape[0] : 1;
        pixels.AddRange(idx.Data);
        for (var i = 0; i < count; i++) names.Add(shape.Length == 3 ? $"{file}[{i}]" : file);
        return true;
    }
}
