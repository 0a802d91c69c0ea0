using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MiniHaiku.FashionMnistExample;

/// <summary>The options of <c>predict</c>.</summary>
public sealed class PredictSettings : CommandSettings
{
    /// <summary>The checkpoint written by <c>train</c> (or <c>import</c>).</summary>
    [CommandOption("-c|--checkpoint <FILE>")]
    [Description("A model.safetensors written by train or import.")]
    public string? Checkpoint { get; init; }

    /// <summary>The image, IDX file or folder to classify.</summary>
    [CommandOption("-i|--input <PATH>")]
    [Description("A PNG image, an IDX image file ([N, 28, 28] or [28, 28], plain or gzip), or a folder of them.")]
    public string? Input { get; init; }

    /// <summary>How many classes to show per image.</summary>
    [CommandOption("--top <K>")]
    [Description("Classes shown per image, most probable first (1 to 10).")]
    [DefaultValue(3)]
    public int Top { get; init; } = 3;

    /// <summary>Optional CSV output.</summary>
    [CommandOption("--csv <FILE>")]
    [Description("Also write every image's 10 probabilities to this CSV file.")]
    public string? Csv { get; init; }

    /// <summary>The architecture to load it into; by default the one recorded in the checkpoint.</summary>
    [CommandOption("-m|--model <MODEL>")]
    [Description("mlp, cnn or resnet; default: the model recorded in the checkpoint. A different one is an error.")]
    public string? Model { get; init; }

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Checkpoint)) return ValidationResult.Error("--checkpoint FILE is required.");
        if (string.IsNullOrWhiteSpace(Input)) return ValidationResult.Error("--input PATH (an image, an IDX file or a folder) is required.");
        if (Top is < 1 or > 10) return ValidationResult.Error($"--top must be between 1 and 10, got {Top}.");
        if (Model is not null && ModelKinds.Parse(Model) is null) return ValidationResult.Error($"--model must be mlp, cnn or resnet, got '{Model}'.");
        return ValidationResult.Success();
    }
}
