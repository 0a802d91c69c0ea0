namespace MiniHaiku.Training;

/// <summary>What the epoch-aware <c>Fit</c> returns.</summary>
/// <param name="State">The final state (the caller owns it).</param>
/// <param name="History">One row per epoch this run finished (its <see cref="EpochEnd.State"/> is the state at that time and may since have been disposed or updated in place: read the figures).</param>
/// <param name="StopReason">Why a callback stopped the run early, or null when it ran all epochs.</param>
public sealed record FitResult(TrainState State, IReadOnlyList<EpochEnd> History, string? StopReason)
{
    /// <summary>Whether a callback stopped the run before its last epoch.</summary>
    public bool StoppedEarly => StopReason is not null;
}
