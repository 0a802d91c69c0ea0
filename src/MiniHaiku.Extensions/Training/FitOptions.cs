namespace MiniHaiku.Training;

/// <summary>
/// How the epoch-aware <see cref="Trainer{TBatch}.Fit(TrainState, FitOptions{TBatch}, CancellationToken)"/> runs:
/// the epochs and their batches, the evaluation, callbacks, reporting and where to start.
/// </summary>
/// <typeparam name="TBatch">The batch type.</typeparam>
/// <param name="Epochs">The number of epochs (at least 1).</param>
/// <param name="Batches">
/// The batches of a 1-based epoch, consumed once. For a bit-exact resume it must give the same batches in the same
/// order every time it is asked for the same epoch (e.g. shuffle with a generator seeded from the epoch number).
/// </param>
/// <example>
/// <code>
/// var result = trainer.Fit(trainer.Init(p, seed: 0), new FitOptions&lt;Batch&gt;(10, epoch => Shuffled(data, epoch))
/// {
///     Evaluate = (state, epoch) => new Dictionary&lt;string, double&gt; { ["accuracy"] = Accuracy(state.Params) },
///     Callbacks = [new EarlyStopping("accuracy", patience: 3), new PeriodicCheckpoints("runs/ckpt", keepLast: 2, bestMetric: "accuracy")],
/// });
/// </code>
/// </example>
public sealed record FitOptions<TBatch>(int Epochs, Func<int, IEnumerable<TBatch>> Batches)
{
    /// <summary>Measures the state at the end of every epoch (e.g. test accuracy); null for no evaluation.</summary>
    public Func<TrainState, int, IReadOnlyDictionary<string, double>>? Evaluate { get; init; }

    /// <summary>The callbacks, called in this order.</summary>
    public IReadOnlyList<TrainingCallback> Callbacks { get; init; } = [];

    /// <summary>Receives a <see cref="TrainProgress"/> (with the window's mean loss) every <see cref="ReportEvery"/> steps, or null.</summary>
    public IProgress<TrainProgress>? Progress { get; init; }

    /// <summary>How many steps a report window holds; at least 1 (default 1).</summary>
    public int ReportEvery { get; init; } = 1;

    /// <summary>Where to start: <see cref="FitPosition.Start"/>, or the position saved with a checkpoint to resume from it.</summary>
    public FitPosition StartAt { get; init; } = FitPosition.Start;
}
