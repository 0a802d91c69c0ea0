namespace MiniHaiku.Training;

/// <summary>
/// The control panel of one epoch-aware <c>Fit</c>: callbacks read where the run is and can ask it to stop
/// (<see cref="EarlyStopping"/> does).
/// </summary>
public sealed class FitRun
{
    internal FitRun(int epochs) => Epochs = epochs;

    /// <summary>The number of epochs the run was asked for.</summary>
    public int Epochs { get; }

    /// <summary>Why the run was asked to stop, or null while it goes on.</summary>
    public string? StopReason { get; private set; }

    /// <summary>Whether a callback asked the run to stop.</summary>
    public bool StopRequested => StopReason is not null;

    /// <summary>
    /// Asks the run to stop: during a step, after that step (the epoch then has no end-of-epoch events); at the end
    /// of an epoch, after the remaining end-of-epoch callbacks. The first reason given is kept.
    /// </summary>
    /// <param name="reason">Why (shown in <see cref="FitResult.StopReason"/>).</param>
    public void Stop(string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        StopReason ??= reason;
    }
}
