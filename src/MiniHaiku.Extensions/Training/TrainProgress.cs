namespace MiniHaiku.Training;

/// <summary>What a training loop reports every <c>reportEvery</c> steps (through <see cref="IProgress{T}"/> and <see cref="TrainingCallback.OnReport"/>).</summary>
/// <param name="Step">The number of steps taken so far (1 after the first step).</param>
/// <param name="Loss">The loss of this step's batch, before the update.</param>
/// <param name="SamplesPerSecond">Throughput since the previous report.</param>
/// <param name="Elapsed">Time since the loop started.</param>
public sealed record TrainProgress(long Step, double Loss, double SamplesPerSecond, TimeSpan Elapsed)
{
    /// <summary>
    /// The mean loss over the report window: the finite losses of the steps since the previous report (NaN when
    /// none was finite). Smoother than <see cref="Loss"/>, which is one batch's.
    /// </summary>
    public double MeanLoss { get; init; } = double.NaN;

    /// <summary>How many steps the report window holds.</summary>
    public int WindowSteps { get; init; }

    /// <summary>The 1-based epoch, when the loop knows it (the epoch-aware <c>Fit</c>), else null.</summary>
    public int? Epoch { get; init; }
}
