namespace MiniHaiku.Import;

/// <summary>The outcome of an import.</summary>
/// <param name="Params">The model's parameters with the imported entries in place (the others are the target's own tensors).</param>
/// <param name="Report">What was loaded, skipped, mismatched and missing.</param>
public sealed record ImportResult(Params Params, ImportReport Report);
