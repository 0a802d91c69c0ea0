namespace MiniHaiku.Import;

/// <summary>How complete an import must be.</summary>
public enum ImportMode
{
    /// <summary>Every model parameter is filled from the file, every file entry is used, and all shapes and dtypes fit; otherwise a <see cref="WeightImportException"/>.</summary>
    Strict,

    /// <summary>Whatever fits is loaded; the rest of the model keeps its values, and the report lists what was skipped, mismatched or missing.</summary>
    Partial,
}
