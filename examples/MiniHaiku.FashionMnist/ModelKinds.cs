namespace MiniHaiku.FashionMnistExample;

/// <summary>Parsing and naming of <see cref="ModelKind"/>.</summary>
public static class ModelKinds
{
    /// <summary>Parses "mlp" or "cnn" (any case).</summary>
    /// <param name="text">The text.</param>
    /// <returns>The kind, or null if unknown.</returns>
    public static ModelKind? Parse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "mlp" => ModelKind.Mlp,
        "cnn" => ModelKind.Cnn,
        _ => null,
    };

    /// <summary>The lower-case name used on the command line and in checkpoints.</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>"mlp" or "cnn".</returns>
    public static string Name(this ModelKind kind) => kind == ModelKind.Mlp ? "mlp" : "cnn";
}
