using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MiniHaiku.FashionMnistExample;

/// <summary>The options of <c>eval</c>.</summary>
public sealed class EvalSettings : CommandSettings
{
    /// <summary>The checkpoint written by <c>train</c>.</summary>
    [CommandOption("-c|--checkpoint <FILE>")]
    [Description("A model.safetensors written by train.")]
    public string? Checkpoint { get; init; }

    /// <summary>The architecture to load it into; by default the one recorded in the checkpoint.</summary>
    [CommandOption("-m|--model <MODEL>")]
    [Description("mlp, cnn or resnet; default: the model recorded in the checkpoint. A different one is an error.")]
    public string? Model { get; init; }

    /// <summary>Folder of the four IDX files.</summary>
    [CommandOption("-d|--data <DIR>")]
    [Description("Folder with the Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist, else the embedded sample).")]
    public string? Data { get; init; }

    /// <summary>Where the confusion matrix goes; by default the checkpoint's folder.</summary>
    [CommandOption("-o|--out <DIR>")]
    [Description("Folder for confusion.png and confusion.csv (default: the checkpoint's folder).")]
    public string? Out { get; init; }

    /// <summary>Torch intra-op threads.</summary>
    [CommandOption("--threads <N>")]
    [Description("Torch intra-op threads (default: torch's choice).")]
    public int? Threads { get; init; }

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Checkpoint)) return ValidationResult.Error("--checkpoint FILE is required.");
        if (Model is not null && ModelKinds.Parse(Model) is null) return ValidationResult.Error($"--model must be mlp, cnn or resnet, got '{Model}'.");
        if (Threads is < 1) return ValidationResult.Error($"--threads must be at least 1, got {Threads}.");
        return ValidationResult.Success();
    }
}
