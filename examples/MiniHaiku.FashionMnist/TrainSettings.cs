using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MiniHaiku.FashionMnistExample;

/// <summary>The options of <c>train</c>.</summary>
public sealed class TrainSettings : CommandSettings
{
    /// <summary>mlp, cnn or resnet.</summary>
    [CommandOption("-m|--model <MODEL>")]
    [Description("Architecture: mlp (784-256-128-10) cnn (2 conv + batch norm + pooling + dropout) or resnet (a small Nets.ResNet).")]
    [DefaultValue("mlp")]
    public string Model { get; init; } = "mlp";

    /// <summary>Number of passes over the training set.</summary>
    [CommandOption("-e|--epochs <N>")]
    [Description("Number of epochs.")]
    [DefaultValue(5)]
    public int Epochs { get; init; } = 5;

    /// <summary>Examples per optimizer step.</summary>
    [CommandOption("-b|--batch-size <B>")]
    [Description("Examples per optimizer step.")]
    [DefaultValue(128)]
    public int BatchSize { get; init; } = 128;

    /// <summary>Adam's learning rate.</summary>
    [CommandOption("--lr <X>")]
    [Description("Adam learning rate.")]
    [DefaultValue(1e-3)]
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Learning-rate schedule.</summary>
    [CommandOption("--schedule <KIND>")]
    [Description("Learning-rate schedule: cosine (decay from --lr to 0 over the run) or constant.")]
    [DefaultValue("cosine")]
    public string Schedule { get; init; } = "cosine";

    /// <summary>Seed of initialization, shuffling and dropout.</summary>
    [CommandOption("-s|--seed <S>")]
    [Description("Seed for initialization, shuffling and dropout (same seed, same run).")]
    [DefaultValue(0L)]
    public long Seed { get; init; }

    /// <summary>Output folder.</summary>
    [CommandOption("-o|--out <DIR>")]
    [Description("Output folder for model.safetensors, metrics.csv, metrics.png and checkpoints/ (default runs/<model>).")]
    public string? Out { get; init; }

    /// <summary>Folder of the four IDX files.</summary>
    [CommandOption("-d|--data <DIR>")]
    [Description("Folder with the four Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist, else the embedded sample).")]
    public string? Data { get; init; }

    /// <summary>Torch intra-op threads.</summary>
    [CommandOption("--threads <N>")]
    [Description("Torch intra-op threads (default: torch's choice).")]
    public int? Threads { get; init; }

    /// <summary>Data-parallel training over the ranks of an MPI job (see <see cref="DistributedTraining"/>).</summary>
    [CommandOption("--distributed")]
    [Description("Data-parallel training over MPI ranks: start with mpiexec -n N (MPICH). Each rank trains on its share of every batch; rank 0 evaluates and writes the outputs. --threads is per rank (default 1).")]
    public bool Distributed { get; init; }

    /// <summary>Save a resumable checkpoint every N steps (0: only at the end of each epoch).</summary>
    [CommandOption("--checkpoint-every <N>")]
    [Description("Save a resumable checkpoint (parameters, state, optimizer state, step, RNG) to <out>/checkpoints every N steps; 0 saves only at the end of each epoch.")]
    [DefaultValue(0L)]
    public long CheckpointEvery { get; init; }

    /// <summary>How many step checkpoints to keep.</summary>
    [CommandOption("--keep-checkpoints <K>")]
    [Description("How many of the latest step checkpoints to keep (best.safetensors, the best test accuracy so far, is kept besides).")]
    [DefaultValue(3)]
    public int KeepCheckpoints { get; init; } = 3;

    /// <summary>Continue from the latest checkpoint in the output folder.</summary>
    [CommandOption("--resume")]
    [Description("Continue an interrupted run from the latest checkpoint in <out>/checkpoints (same --model, --batch-size, --lr, --schedule, --epochs and --seed); the result is the same as an uninterrupted run.")]
    public bool Resume { get; init; }

    /// <summary>Stop when the test accuracy has not improved for this many epochs.</summary>
    [CommandOption("--patience <N>")]
    [Description("Early stopping: stop when the test accuracy has not improved for N epochs (default: never).")]
    public int? Patience { get; init; }

    /// <summary>Write TensorBoard event files.</summary>
    [CommandOption("--tensorboard")]
    [Description("Write TensorBoard logs (loss, accuracy, lr, throughput, histograms each epoch) to <out>/tensorboard; view with: tensorboard --logdir <out>/tensorboard.")]
    public bool TensorBoard { get; init; }

    /// <summary>Where to train.</summary>
    [CommandOption("--device <DEVICE>")]
    [Description("Where to train: cpu, or cuda / cuda:N with a CUDA TorchSharp backend (parameters, batches and checkpoints are placed there; evaluation and saving copy to the CPU).")]
    [DefaultValue("cpu")]
    public string Device { get; init; } = "cpu";

    /// <summary>The parsed model kind (valid after <see cref="Validate"/>).</summary>
    public ModelKind Kind => ModelKinds.Parse(Model) ?? ModelKind.Mlp;

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        if (ModelKinds.Parse(Model) is null) return ValidationResult.Error($"--model must be mlp, cnn or resnet, got '{Model}'.");
        if (Epochs < 1) return ValidationResult.Error($"--epochs must be at least 1, got {Epochs}.");
        if (BatchSize < 1) return ValidationResult.Error($"--batch-size must be at least 1, got {BatchSize}.");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) return ValidationResult.Error($"--lr must be a positive number, got {LearningRate}.");
        if (Schedule is not ("cosine" or "constant")) return ValidationResult.Error($"--schedule must be cosine or constant, got '{Schedule}'.");
        if (Threads is < 1) return ValidationResult.Error($"--threads must be at least 1, got {Threads}.");
        if (CheckpointEvery < 0) return ValidationResult.Error($"--checkpoint-every must be 0 or more, got {CheckpointEvery}.");
        if (KeepCheckpoints < 1) return ValidationResult.Error($"--keep-checkpoints must be at least 1, got {KeepCheckpoints}.");
        if (Patience is < 1) return ValidationResult.Error($"--patience must be at least 1, got {Patience}.");
        if (!(Device == "cpu" || Device == "cuda" || Device.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(Device.AsSpan(5), out var index) && index >= 0))
            return ValidationResult.Error($"--device must be cpu, cuda or cuda:N, got '{Device}'.");
        if (Device != "cpu" && !TorchSharp.torch.cuda.is_available())
            return ValidationResult.Error($"--device {Device}: CUDA is not available (no GPU, or the app runs on the CPU libtorch backend; reference a CUDA TorchSharp backend such as TorchSharp-cuda-linux).");
        return ValidationResult.Success();
    }
}
