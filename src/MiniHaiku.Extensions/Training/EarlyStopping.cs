using System.Globalization;

namespace MiniHaiku.Training;

/// <summary>
/// Stops training when an evaluation metric has not improved for <c>patience</c> evaluations (Keras's
/// <c>EarlyStopping</c>). The counters live in memory: a resumed run starts counting afresh.
/// </summary>
public sealed class EarlyStopping : TrainingCallback
{
    private readonly string metric;
    private readonly int patience;
    private readonly bool higherIsBetter;
    private readonly double minDelta;
    private int bad;

    /// <summary>Creates the callback.</summary>
    /// <param name="metric">The metric of <see cref="FitOptions{TBatch}.Evaluate"/> to watch, e.g. <c>accuracy</c>.</param>
    /// <param name="patience">How many evaluations without improvement are tolerated; at least 1.</param>
    /// <param name="higherIsBetter">True for accuracy-like metrics (default), false for losses.</param>
    /// <param name="minDelta">The smallest change that counts as an improvement (default 0).</param>
    public EarlyStopping(string metric, int patience, bool higherIsBetter = true, double minDelta = 0)
    {
        ArgumentNullException.ThrowIfNull(metric);
        if (patience < 1) throw new ModelUsageException($"patience must be at least 1, got {patience}.");
        if (!(minDelta >= 0)) throw new ModelUsageException($"minDelta must be zero or positive, got {minDelta}.");
        this.metric = metric;
        this.patience = patience;
        this.higherIsBetter = higherIsBetter;
        this.minDelta = minDelta;
    }

    /// <summary>The best value seen so far (NaN before the first evaluation).</summary>
    public double Best { get; private set; } = double.NaN;

    /// <summary>The epoch of <see cref="Best"/> (0 before the first evaluation).</summary>
    public int BestEpoch { get; private set; }

    /// <inheritdoc />
    public override void OnEvaluation(EvaluationEnd evaluation)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        if (!evaluation.Metrics.TryGetValue(metric, out var value))
            throw new MissingMetricException(nameof(EarlyStopping), metric, evaluation.Metrics.Keys);
        var improved = double.IsNaN(Best) || (higherIsBetter ? value > Best + minDelta : value < Best - minDelta);
        if (improved && !double.IsNaN(value))
        {
            (Best, BestEpoch, bad) = (value, evaluation.Epoch, 0);
            return;
        }
        if (++bad >= patience)
            evaluation.Run.Stop(string.Create(CultureInfo.InvariantCulture,
                $"early stopping: '{metric}' has not improved for {bad} evaluation(s) (best {Best:G6} at epoch {BestEpoch})"));
    }
}
