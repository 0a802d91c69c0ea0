namespace MiniHaiku.Training;

/// <summary>What <see cref="TrainingCallback.OnStep"/> sees after a step.</summary>
/// <param name="Run">The run (to stop it).</param>
/// <param name="State">The state after the step (owned by the loop: do not dispose; valid until the next step, which may dispose it or update it in place: clone what you keep).</param>
/// <param name="Epoch">The 1-based epoch.</param>
/// <param name="BatchesDone">How many batches of this epoch are done, this one included.</param>
/// <param name="Loss">This step's loss (before the update).</param>
public sealed record StepEnd(FitRun Run, TrainState State, int Epoch, long BatchesDone, double Loss)
{
    /// <summary>Where a run resumed from this state starts: this epoch, after these batches.</summary>
    public FitPosition ResumePosition => new(Epoch, BatchesDone);
}
