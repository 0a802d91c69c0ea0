namespace MiniHaiku.Import;

/// <summary>
/// A weight file (<c>.npz</c>, <c>.npy</c> or <c>.safetensors</c>) cannot be read: missing, not a zip or npy file,
/// truncated, an unsupported dtype (object arrays, complex numbers, strings), an impossible header.
/// </summary>
public sealed class WeightFileException : MiniHaikuException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">The file.</param>
    /// <param name="entry">The entry inside the file (e.g. <c>linear/w.npy</c>), or null when the whole file is bad.</param>
    /// <param name="problem">What is wrong, without the file name.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public WeightFileException(string filePath, string? entry, string problem, Exception? inner = null)
        : base($"Weight file '{filePath}'{(entry is null ? "" : $", entry '{entry}'")}: {problem}", inner)
    {
        FilePath = filePath;
        Entry = entry;
        Problem = problem;
    }

    /// <summary>The file.</summary>
    public string FilePath { get; }

    /// <summary>The entry inside the file, or null when the whole file is bad.</summary>
    public string? Entry { get; }

    /// <summary>What is wrong, without the file name.</summary>
    public string Problem { get; }
}
