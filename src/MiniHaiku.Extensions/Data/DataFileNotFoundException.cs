namespace MiniHaiku.Data;

/// <summary>A data file (or the folder that should hold it) does not exist.</summary>
public sealed class DataFileNotFoundException(string filePath, string? hint = null) : MiniHaikuException(
    $"Data file not found: '{filePath}'. " + (hint ?? "Check the path (or pass the folder that holds the IDX files)."))
{
    /// <summary>The path that was looked for.</summary>
    public string FilePath { get; } = filePath;
}
