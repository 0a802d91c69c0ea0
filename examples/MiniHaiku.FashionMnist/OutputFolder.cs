namespace MiniHaiku.FashionMnistExample;

/// <summary>The folder <c>train</c> writes its checkpoint and metrics to.</summary>
public static class OutputFolder
{
    /// <summary>
    /// Creates <paramref name="directory"/> if needed and checks that a file can be written in it, so an unusable
    /// location is reported before any data is loaded or trained on.
    /// </summary>
    /// <param name="directory">The --out folder.</param>
    /// <exception cref="IOException">The folder cannot be created or written; the message names it.</exception>
    public static void RequireWritable(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        try
        {
            Directory.CreateDirectory(directory);
            var probe = Path.Combine(directory, ".write-test-" + Guid.NewGuid().ToString("N"));
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new IOException($"Output folder '{directory}' cannot be written ({e.Message}). Pass --out with a folder you can write to; nothing was trained.", e);
        }
    }
}
