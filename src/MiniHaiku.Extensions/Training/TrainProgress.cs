namespace MiniHaiku.Training;

/// <summary>What a training loop reports after a step (through <see cref="IProgress{T}"/>).</summary>
/// <param name="Step">The number of steps taken so far (1 after the first step).</param>
/// <param name="Loss">The loss of this step's batch, before the update.</param>
/// <param name="SamplesPerSecond">Throughput since the previous report.</param>
/// <param name="Elapsed">Time since the loop started.</param>
public sealed record TrainProgress(long Step, double Loss, double SamplesPerSecond, TimeSpan Elapsed);
