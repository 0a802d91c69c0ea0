using System.Reflection;

namespace MiniHaiku.Data;

/// <summary>
/// Loads Fashion-MNIST (28×28 grayscale clothing images in 10 classes) from the four IDX files of the
/// original distribution, e.g. the Debian package <c>dataset-fashion-mnist</c>.
/// </summary>
/// <remarks>
/// The images come as float32 [N, 1, 28, 28] (NCHW, channels first); the library's convolution, pooling and
/// normalization layers default to NHWC. For a CNN, take batches with <see cref="LabeledImages.BatchChannelsLast"/>
/// or <see cref="LabeledImages.SliceChannelsLast"/> ([B, 28, 28, 1]), or give its layers
/// <c>dataFormat: DataFormat.ChannelsFirst</c>.
/// </remarks>
public static class FashionMnist
{
    /// <summary>Where the Debian package <c>dataset-fashion-mnist</c> installs the files.</summary>
    public const string DebianDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>The number of classes.</summary>
    public const int ClassCount = 10;

    /// <summary>The class names, by label.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>The file names of the training images (gzip).</summary>
    public const string TrainImagesFile = "train-images-idx3-ubyte.gz";

    /// <summary>The file names of the training labels (gzip).</summary>
    public const string TrainLabelsFile = "train-labels-idx1-ubyte.gz";

    /// <summary>The file names of the test images (gzip).</summary>
    public const string TestImagesFile = "t10k-images-idx3-ubyte.gz";

    /// <summary>The file names of the test labels (gzip).</summary>
    public const string TestLabelsFile = "t10k-labels-idx1-ubyte.gz";

    /// <summary>
    /// Whether <paramref name="directory"/> holds the four files (each gzip-compressed or, without the
    /// <c>.gz</c> suffix, plain).
    /// </summary>
    /// <param name="directory">The folder to look in.</param>
    /// <returns>True if all four are present.</returns>
    public static bool Exists(string directory) =>
        Directory.Exists(directory) &&
        new[] { TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile }.All(f => FindFile(directory, f) is not null);

    /// <summary>Loads the training and test splits from <paramref name="directory"/>.</summary>
    /// <param name="directory">A folder holding the four IDX files (gzip or plain).</param>
    /// <returns>The two splits.</returns>
    /// <exception cref="DataFileNotFoundException">The folder or one of the files is missing.</exception>
    /// <exception cref="DataFormatException">A file is corrupt, truncated or has a wrong magic number.</exception>
    /// <exception cref="DataMismatchException">A split's image and label counts differ.</exception>
    public static (LabeledImages Train, LabeledImages Test) Load(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory))
            throw new DataFileNotFoundException(directory,
                $"The folder does not exist. Install the Debian package dataset-fashion-mnist (files in {DebianDirectory}) or pass a folder holding {TrainImagesFile}, {TrainLabelsFile}, {TestImagesFile} and {TestLabelsFile}.");
        var train = LoadSplit(directory, TrainImagesFile, TrainLabelsFile);
        try { return (train, LoadSplit(directory, TestImagesFile, TestLabelsFile)); }
        catch { train.Dispose(); throw; }
    }

    /// <summary>Loads only the test split (10,000 images in the original) from <paramref name="directory"/>.</summary>
    /// <param name="directory">A folder holding the test IDX files (gzip or plain).</param>
    /// <returns>The test examples.</returns>
    /// <exception cref="DataFileNotFoundException">The folder or a file is missing.</exception>
    /// <exception cref="DataFormatException">A file is corrupt, truncated or has a wrong magic number.</exception>
    /// <exception cref="DataMismatchException">The image and label counts differ.</exception>
    public static LabeledImages LoadTest(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory))
            throw new DataFileNotFoundException(directory, $"The folder does not exist. It must hold {TestImagesFile} and {TestLabelsFile}.");
        return LoadSplit(directory, TestImagesFile, TestLabelsFile);
    }

    /// <summary>Loads one split from an image file and a label file.</summary>
    /// <param name="imagesPath">IDX images [N, 28, 28] (gzip or plain).</param>
    /// <param name="labelsPath">IDX labels [N] (gzip or plain).</param>
    /// <returns>The examples.</returns>
    /// <exception cref="DataFileNotFoundException">A file is missing.</exception>
    /// <exception cref="DataFormatException">A file is corrupt, truncated, has a wrong magic number or a label ≥ 10.</exception>
    /// <exception cref="DataMismatchException">The image and label counts differ.</exception>
    public static LabeledImages LoadFiles(string imagesPath, string labelsPath)
    {
        var images = IdxReader.Read(imagesPath, expectedDimensions: 3);
        var labels = IdxReader.Read(labelsPath, expectedDimensions: 1);
        return LabeledImages.FromIdx(images, imagesPath, labels, labelsPath, ClassCount);
    }

    /// <summary>Loads one split from two streams (e.g. embedded resources).</summary>
    /// <param name="images">IDX images (gzip or plain).</param>
    /// <param name="imagesName">Its name, for errors.</param>
    /// <param name="labels">IDX labels (gzip or plain).</param>
    /// <param name="labelsName">Its name, for errors.</param>
    /// <returns>The examples.</returns>
    public static LabeledImages LoadStreams(Stream images, string imagesName, Stream labels, string labelsName) =>
        LabeledImages.FromIdx(
            IdxReader.Read(images, imagesName, expectedDimensions: 3), imagesName,
            IdxReader.Read(labels, labelsName, expectedDimensions: 1), labelsName, ClassCount);

    /// <summary>
    /// Loads both splits from manifest resources of <paramref name="assembly"/> whose names end with the
    /// four standard file names (e.g. a small embedded sample).
    /// </summary>
    /// <param name="assembly">The assembly holding the resources.</param>
    /// <returns>The two splits.</returns>
    /// <exception cref="DataFileNotFoundException">A resource is missing.</exception>
    public static (LabeledImages Train, LabeledImages Test) LoadEmbedded(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        LabeledImages Split(string imagesFile, string labelsFile)
        {
            using var images = OpenResource(assembly, imagesFile);
            using var labels = OpenResource(assembly, labelsFile);
            return LoadStreams(images, "embedded:" + imagesFile, labels, "embedded:" + labelsFile);
        }
        var train = Split(TrainImagesFile, TrainLabelsFile);
        try { return (train, Split(TestImagesFile, TestLabelsFile)); }
        catch { train.Dispose(); throw; }
    }

    private static Stream OpenResource(Assembly assembly, string file)
    {
        var name = assembly.GetManifestResourceNames().FirstOrDefault(n => n.EndsWith(file, StringComparison.Ordinal));
        return (name is null ? null : assembly.GetManifestResourceStream(name))
               ?? throw new DataFileNotFoundException($"embedded:{file}", $"Assembly {assembly.GetName().Name} has no embedded resource ending in '{file}'.");
    }

    private static LabeledImages LoadSplit(string directory, string imagesFile, string labelsFile)
    {
        var images = FindFile(directory, imagesFile) ?? throw Missing(directory, imagesFile);
        var labels = FindFile(directory, labelsFile) ?? throw Missing(directory, labelsFile);
        return LoadFiles(images, labels);
    }

    private static DataFileNotFoundException Missing(string directory, string file) =>
        new(Path.Combine(directory, file), $"The folder '{directory}' must hold {file} (or the uncompressed {Path.GetFileNameWithoutExtension(file)}).");

    private static string? FindFile(string directory, string gzName)
    {
        var gz = Path.Combine(directory, gzName);
        if (File.Exists(gz)) return gz;
        var plain = Path.Combine(directory, Path.GetFileNameWithoutExtension(gzName));
        return File.Exists(plain) ? plain : null;
    }
}
