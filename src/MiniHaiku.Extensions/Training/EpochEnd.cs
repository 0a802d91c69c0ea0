namespace MiniHaiku.Training;

/// <summary>What <see cref="TrainingCallback.OnEpochEnd"/> sees, and one row of <see cref="FitResult.History"/>.</summary>
/// <param name="Run">The run (to stop it).</param>
/// <param name="State">The state at the end of the epoch (owned by the loop: do not dispose; once superseded it is disposed or, on the fast path, updated in place by the next step).</param>
/// <param name="Epoch">The 1-based epoch.</param>
/// <param name="MeanLoss">The mean of the epoch's finite step losses (over the steps this run took in it).</param>
/// <param name="Steps">The steps this run took in the epoch (fewer than its batches when it resumed mid-epoch).</param>
/// <param name="Seconds">Training time of those steps, without the evaluation.</param>
/// <param name="SamplesPerSecond">Their throughput.</param>
/// <param name="Metrics">The evaluation's metrics (empty without <see cref="FitOptions{TBatch}.Evaluate"/>).</param>
public sealed record EpochEnd(FitRun Run, TrainState State, int Epoch, double MeanLoss, long Steps, double Seconds, double SamplesPerSecond,
    IReadOnlyDictionary<string, double> Metrics)
{
    /// <summary>Where a run resumed from this state starts: the next epoch.</summary>
    public FitPosition ResumePosition => new(Epoch + 1, 0);
}
