using System.Globalization;
using System.Text;
using static TorchSharp.torch;

namespace MiniHaiku.Import;

/// <summary>A file entry that went into a model parameter.</summary>
/// <param name="Source">The entry's name in the file.</param>
/// <param name="Target">The parameter path it filled.</param>
/// <param name="Shape">Its shape in the model (after the layout conversion).</param>
/// <param name="SourceDType">Its dtype in the file.</param>
/// <param name="DType">Its dtype in the model (differs from <paramref name="SourceDType"/> when a floating-point value was cast).</param>
/// <param name="Layout">The layout conversion applied.</param>
public sealed record ImportedEntry(string Source, string Target, IReadOnlyList<long> Shape, ScalarType SourceDType, ScalarType DType, WeightLayout Layout);

/// <summary>A file entry that was not used.</summary>
/// <param name="Source">The entry's name in the file.</param>
/// <param name="Reason">Why: the map has no rule for it, skips it, or sends it to a path the model does not have.</param>
public sealed record SkippedEntry(string Source, string Reason);

/// <summary>A file entry whose shape or dtype does not fit the parameter it was mapped to (that parameter keeps its value).</summary>
/// <param name="Source">The entry's name in the file.</param>
/// <param name="Target">The parameter path it was mapped to.</param>
/// <param name="ExpectedShape">The model's shape.</param>
/// <param name="ExpectedDType">The model's dtype.</param>
/// <param name="ActualShape">The entry's shape after the layout conversion (before it, if the conversion failed).</param>
/// <param name="ActualDType">The entry's dtype.</param>
/// <param name="Reason">What differs.</param>
public sealed record MismatchedEntry(string Source, string Target, IReadOnlyList<long> ExpectedShape, ScalarType ExpectedDType,
    IReadOnlyList<long> ActualShape, ScalarType ActualDType, string Reason);

/// <summary>What an import did: every file entry is in exactly one of <see cref="Loaded"/>, <see cref="Skipped"/> and <see cref="Mismatched"/>.</summary>
/// <param name="Origin">The file (or a description of the source).</param>
/// <param name="Loaded">Entries that filled a parameter.</param>
/// <param name="Skipped">Entries that were not used.</param>
/// <param name="Mismatched">Entries whose shape or dtype did not fit.</param>
/// <param name="Missing">Model parameters that no entry filled (they keep their values).</param>
public sealed record ImportReport(string Origin, IReadOnlyList<ImportedEntry> Loaded, IReadOnlyList<SkippedEntry> Skipped,
    IReadOnlyList<MismatchedEntry> Mismatched, IReadOnlyList<string> Missing)
{
    /// <summary>Whether every model parameter was filled and every entry used without mismatch.</summary>
    public bool IsComplete => Skipped.Count == 0 && Mismatched.Count == 0 && Missing.Count == 0;

    /// <summary>One line of counts, e.g. <c>loaded 4, skipped 1, mismatched 0, missing 0</c>.</summary>
    public string Counts => $"loaded {Loaded.Count}, skipped {Skipped.Count}, mismatched {Mismatched.Count}, missing {Missing.Count}";

    /// <summary>The counts, then one line per entry that was not loaded and per missing parameter.</summary>
    /// <returns>A multi-line text.</returns>
    public override string ToString()
    {
        var sb = new StringBuilder($"Import from '{Origin}': {Counts}");
        foreach (var m in Mismatched)
            sb.Append(CultureInfo.InvariantCulture, $"\n  mismatched '{m.Source}' → '{m.Target}': {m.Reason}");
        foreach (var s in Skipped) sb.Append(CultureInfo.InvariantCulture, $"\n  skipped '{s.Source}': {s.Reason}");
        foreach (var m in Missing) sb.Append(CultureInfo.InvariantCulture, $"\n  missing '{m}' (kept its value)");
        return sb.ToString();
    }
}
