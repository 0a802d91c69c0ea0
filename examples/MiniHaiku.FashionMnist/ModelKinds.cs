namespace MiniHaiku.FashionMnistExample;

/// <summary>Parsing and naming of <see cref="ModelKind"/>.</summary>
public static class ModelKinds
{
    /// <summary>Parses "mlp", "cnn" or "resnet" (any case).</summary>
    /// <param name="text">The text.</param>
    /// <returns>The kind, or null if unknown.</returns>
    public static ModelKind? Parse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "mlp" => ModelKind.Mlp,
        "cnn" => ModelKind.Cnn,
        "resnet" => ModelKind.Resnet,
        _ => null,
    };

    /// <summary>The lower-case name used on the command line and in checkpoints.</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>"mlp", "cnn" or "resnet".</returns>
    public static string Name(this ModelKind kind) => kind switch
    {
        ModelKind.Mlp => "mlp",
        ModelKind.Cnn => "cnn",
        _ => "resnet",
    };
}
