using System.Globalization;
using MiniHaiku.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Checkpoints;

/// <summary>
/// Checkpoints to resume training from: the full <see cref="TrainState"/> (parameters, model state, optimizer state,
/// step, random key, skipped steps), the <see cref="FitPosition"/> in the run, and a <see cref="RunDescription"/>.
/// A safetensors file written by <see cref="Checkpoint.Save(string, TrainState, IReadOnlyDictionary{string, string}?)"/>
/// plus the metadata keys <c>epoch</c> and <c>batches_done</c>.
/// </summary>
public static class TrainingCheckpoint
{
    /// <summary>The metadata key of <see cref="FitPosition.Epoch"/>.</summary>
    public const string EpochKey = "epoch";

    /// <summary>The metadata key of <see cref="FitPosition.BatchesDone"/>.</summary>
    public const string BatchesDoneKey = "batches_done";

    /// <summary>Saves a checkpoint atomically (see <see cref="Checkpoint"/>).</summary>
    /// <param name="path">The target file; replaced if it exists.</param>
    /// <param name="state">The training state (on any device: it is copied to the CPU to be written).</param>
    /// <param name="position">Where a resumed run continues.</param>
    /// <param name="description">The run's description, or null.</param>
    /// <param name="metadata">More metadata, or null; the library's keys win.</param>
    /// <exception cref="CheckpointException">The file cannot be written.</exception>
    public static void Save(string path, TrainState state, FitPosition position, RunDescription? description = null,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>());
        if (description is not null) foreach (var (k, v) in description.ToMetadata()) meta[k] = v;
        meta[RunDescription.LibraryVersionKey] = RunDescription.LibraryVersion;
        meta[EpochKey] = position.Epoch.ToString(CultureInfo.InvariantCulture);
        meta[BatchesDoneKey] = position.BatchesDone.ToString(CultureInfo.InvariantCulture);
        Checkpoint.Save(path, state, meta);
    }

    /// <summary>
    /// Loads a checkpoint to resume from, checked against <paramref name="template"/> (the same model and optimizer),
    /// and places it on <paramref name="device"/>.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="template">A state of the same model and optimizer, e.g. <c>trainer.Init(model.Init(...), seed)</c>.</param>
    /// <param name="device">Where to put the tensors; null for the CPU.</param>
    /// <returns>The state, its position and the metadata.</returns>
    /// <exception cref="CheckpointException">The file is unreadable, from another model or optimizer, or has no position.</exception>
    public static ResumePoint Load(string path, TrainState template, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        var metadata = Checkpoint.ReadMetadata(path);
        if (!metadata.TryGetValue(EpochKey, out var e) || !int.TryParse(e, NumberStyles.None, CultureInfo.InvariantCulture, out var epoch) || epoch < 1
            || !metadata.TryGetValue(BatchesDoneKey, out var b) || !long.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var batches))
            throw new CheckpointException(path, $"has no valid '{EpochKey}' and '{BatchesDoneKey}' metadata: it was not saved by TrainingCheckpoint.Save (use Checkpoint.LoadTrainState).");
        var state = Checkpoint.LoadTrainState(path, template, device);
        return new ResumePoint(path, state, new FitPosition(epoch, batches), metadata);
    }
}
