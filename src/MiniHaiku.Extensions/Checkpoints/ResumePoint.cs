using System.Collections.Immutable;
using MiniHaiku.Training;

namespace MiniHaiku.Checkpoints;

/// <summary>What <see cref="TrainingCheckpoint.Load"/> read: the state to continue from and where to continue.</summary>
/// <param name="Path">The checkpoint file.</param>
/// <param name="State">The full training state (the caller owns its tensors).</param>
/// <param name="Position">Pass it as <see cref="FitOptions{TBatch}.StartAt"/> to resume.</param>
/// <param name="Metadata">All string metadata of the file.</param>
public sealed record ResumePoint(string Path, TrainState State, FitPosition Position, ImmutableSortedDictionary<string, string> Metadata)
{
    /// <summary>The run's description, if the checkpoint holds one.</summary>
    public RunDescription? Description => RunDescription.FromMetadata(Metadata);
}
