namespace MiniHaiku.Training;

/// <summary>What <see cref="TrainingCallback.OnEvaluation"/> sees after the end-of-epoch evaluation.</summary>
/// <param name="Run">The run (to stop it).</param>
/// <param name="State">The state that was evaluated (owned by the loop: do not dispose).</param>
/// <param name="Epoch">The 1-based epoch that just ended.</param>
/// <param name="Metrics">What <see cref="FitOptions{TBatch}.Evaluate"/> returned, e.g. <c>accuracy</c>, <c>loss</c>.</param>
public sealed record EvaluationEnd(FitRun Run, TrainState State, int Epoch, IReadOnlyDictionary<string, double> Metrics)
{
    /// <summary>Where a run resumed from this state starts: the next epoch.</summary>
    public FitPosition ResumePosition => new(Epoch + 1, 0);
}
