namespace MiniHaiku.Checkpoints;

/// <summary>A checkpoint file could not be written or read: missing, truncated, corrupt, lying about its contents, or from a different model.</summary>
public sealed class CheckpointException : MiniHaikuException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="message">What is wrong with it.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public CheckpointException(string path, string message, Exception? inner = null)
        : base($"Checkpoint '{path}': {message}", inner) => Path = path;

    /// <summary>The checkpoint file.</summary>
    public string Path { get; }
}
