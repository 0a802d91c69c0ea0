namespace MiniHaiku.Training;

/// <summary>
/// A callback watches an evaluation metric (<see cref="EarlyStopping"/>, <see cref="Checkpoints.PeriodicCheckpoints"/>'s
/// best copy) that <see cref="FitOptions{TBatch}.Evaluate"/> did not return.
/// </summary>
public sealed class MissingMetricException : MiniHaikuException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="callback">The callback's name, e.g. <c>EarlyStopping</c>.</param>
    /// <param name="metric">The metric it watches.</param>
    /// <param name="available">The metrics the evaluation returned.</param>
    public MissingMetricException(string callback, string metric, IEnumerable<string> available)
        : base(Describe(callback, metric, available.ToList()))
    {
        Metric = metric;
    }

    /// <summary>The metric that was asked for.</summary>
    public string Metric { get; }

    private static string Describe(string callback, string metric, List<string> available) =>
        $"{callback} watches the metric '{metric}', but the evaluation returned " +
        (available.Count == 0 ? "none" : string.Join(", ", available.Select(m => "'" + m + "'"))) +
        ". Give the callback one of those names, or return it from FitOptions.Evaluate.";
}
