namespace MiniHaiku.Data;

/// <summary>An image file and its label file do not describe the same number of examples.</summary>
public sealed class DataMismatchException(string imagesPath, long imageCount, string labelsPath, long labelCount) : MiniHaikuException(
    $"Images and labels do not match: '{imagesPath}' holds {imageCount} images but '{labelsPath}' holds {labelCount} labels. " +
    "They probably come from different splits or downloads; use the image and label files of the same split.")
{
    /// <summary>The image file.</summary>
    public string ImagesPath { get; } = imagesPath;

    /// <summary>The number of images in it.</summary>
    public long ImageCount { get; } = imageCount;

    /// <summary>The label file.</summary>
    public string LabelsPath { get; } = labelsPath;

    /// <summary>The number of labels in it.</summary>
    public long LabelCount { get; } = labelCount;
}
