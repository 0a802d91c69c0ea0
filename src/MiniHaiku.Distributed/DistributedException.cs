namespace MiniHaiku.Distributed;

/// <summary>
/// A data-parallel run cannot go on: a rank failed (every rank raises this at the same step, so none
/// is left waiting), the ranks disagree (parameter structure, seed), or MPI itself is unusable (the
/// MPICH library is missing). <see cref="Exception.InnerException"/> holds the original error on the
/// rank where it happened.
/// </summary>
public sealed class DistributedException : MiniHaikuException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened, naming the rank(s) and what to do.</param>
    /// <param name="failedRanks">The ranks that failed (empty when not about a failing rank).</param>
    /// <param name="inner">The original error on this rank, if it is one of the failed ones.</param>
    public DistributedException(string message, IReadOnlyList<int>? failedRanks = null, Exception? inner = null)
        : base(message, inner) => FailedRanks = failedRanks ?? [];

    /// <summary>The ranks whose error stopped the run (empty when the problem is not one rank's failure).</summary>
    public IReadOnlyList<int> FailedRanks { get; }

    /// <summary>
    /// True when every rank raised this exception at the same point (a failed collective step), so the
    /// job can end normally; false when only this rank knows, and <see cref="MpiSession.Run"/> must abort the job.
    /// </summary>
    public bool StoppedAllRanks { get; internal init; }
}
