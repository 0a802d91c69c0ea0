namespace MiniHaiku.Training;

/// <summary>
/// Where an epoch-aware <c>Fit</c> is: the 1-based epoch and how many of its batches are done. Saved in checkpoints
/// (<see cref="Checkpoints.TrainingCheckpoint"/>) so a resumed run skips exactly the batches already trained on.
/// </summary>
/// <param name="Epoch">The 1-based epoch.</param>
/// <param name="BatchesDone">How many of its batches were already trained on (0 at its start).</param>
public readonly record struct FitPosition(int Epoch, long BatchesDone)
{
    /// <summary>The start of a run: epoch 1, no batch done.</summary>
    public static FitPosition Start => new(1, 0);
}
