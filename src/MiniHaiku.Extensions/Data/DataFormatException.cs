namespace MiniHaiku.Data;

/// <summary>
/// A data file exists but cannot be read as what it should be: not gzip or IDX, a wrong magic number,
/// an unsupported element type, a wrong number of dimensions, truncated or trailing data, labels out of range.
/// </summary>
public sealed class DataFormatException(string filePath, string problem, Exception? inner = null) : MiniHaikuException(
    $"Bad data file '{filePath}': {problem}", inner)
{
    /// <summary>The file (or resource) name.</summary>
    public string FilePath { get; } = filePath;

    /// <summary>What is wrong with it, without the file name.</summary>
    public string Problem { get; } = problem;
}
