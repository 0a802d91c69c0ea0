namespace MiniHaiku.Import;

/// <summary>
/// Imported weights do not fit the model: in strict mode, a parameter the file does not fill, a file entry the map
/// leaves unused, a shape or dtype that differs from the model's; also a rename map that sends two entries to one
/// parameter, or a layout conversion given an array of the wrong rank.
/// </summary>
public sealed class WeightImportException : MiniHaikuException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What does not fit and how to fix it.</param>
    /// <param name="report">The import report, when the import got that far.</param>
    public WeightImportException(string message, ImportReport? report = null) : base(message) => Report = report;

    /// <summary>What was loaded, skipped, mismatched and missing, or null.</summary>
    public ImportReport? Report { get; }
}
