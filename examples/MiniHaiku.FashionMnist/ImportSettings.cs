using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MiniHaiku.FashionMnistExample;

/// <summary>The options of <c>import</c>.</summary>
public sealed class ImportSettings : CommandSettings
{
    /// <summary>The file to import.</summary>
    [CommandOption("-w|--weights <FILE>")]
    [Description("A Haiku parameter file (.npz of np.savez) or a PyTorch state_dict (.safetensors).")]
    public string? Weights { get; init; }

    /// <summary>The architecture the weights belong to.</summary>
    [CommandOption("-m|--model <MODEL>")]
    [Description("mlp, cnn or resnet.")]
    [DefaultValue("mlp")]
    public string Model { get; init; } = "mlp";

    /// <summary>Naming convention of the file.</summary>
    [CommandOption("-f|--format <FORMAT>")]
    [Description("haiku (names like hidden1/w, [in, out] weights) or torch (hidden1.weight, [out, in] weights, OIHW kernels); default: haiku for .npz, torch otherwise.")]
    public string? Format { get; init; }

    /// <summary>Accept an incomplete import.</summary>
    [CommandOption("--partial")]
    [Description("Load what fits and keep the initial values of the rest (default: every parameter must be filled and every entry used).")]
    public bool Partial { get; init; }

    /// <summary>Drop this prefix from the file's names first.</summary>
    [CommandOption("--prefix <PREFIX>")]
    [Description("A prefix of the file's names to drop first, e.g. 'classifier/~/' or 'model.'.")]
    public string? Prefix { get; init; }

    /// <summary>The checkpoint to write.</summary>
    [CommandOption("-o|--out <FILE>")]
    [Description("The checkpoint to write (default runs/imported/model.safetensors); eval and predict read it.")]
    public string? Out { get; init; }

    /// <summary>The parsed format.</summary>
    public string EffectiveFormat => Format ?? (Weights?.EndsWith(".npz", StringComparison.OrdinalIgnoreCase) == true ? "haiku" : "torch");

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Weights)) return ValidationResult.Error("--weights FILE is required.");
        if (ModelKinds.Parse(Model) is null) return ValidationResult.Error($"--model must be mlp, cnn or resnet, got '{Model}'.");
        if (Format is not null and not ("haiku" or "torch")) return ValidationResult.Error($"--format must be haiku or torch, got '{Format}'.");
        return ValidationResult.Success();
    }
}
