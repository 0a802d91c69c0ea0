using System.Text.Json;

namespace MiniHaiku.FashionMnistExample;

/// <summary>
/// The per-epoch metrics of a run as JSON, stored in each checkpoint's metadata so a resumed run continues
/// metrics.csv, the plot and the summary with the epochs it did not run itself.
/// </summary>
public static class HistoryFile
{
    /// <summary>The checkpoint metadata key.</summary>
    public const string MetadataKey = "history";

    /// <summary>The history as JSON.</summary>
    /// <param name="history">The epochs so far.</param>
    /// <returns>A JSON array.</returns>
    public static string Format(IReadOnlyList<EpochMetrics> history) => JsonSerializer.Serialize(history);

    /// <summary>Reads a history written by <see cref="Format"/>; null or empty text is an empty history.</summary>
    /// <param name="json">The JSON, or null.</param>
    /// <returns>The epochs.</returns>
    /// <exception cref="JsonException">The text is not such a history.</exception>
    public static IReadOnlyList<EpochMetrics> Parse(string? json) =>
        string.IsNullOrEmpty(json) ? [] : JsonSerializer.Deserialize<List<EpochMetrics>>(json) ?? [];
}
