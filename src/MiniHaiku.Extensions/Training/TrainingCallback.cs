using MiniHaiku.Training;

namespace MiniHaiku.Training;

/// <summary>
/// Hooks into the epoch-aware <see cref="Trainer{TBatch}.Fit(TrainState, FitOptions{TBatch}, CancellationToken)"/>, like
/// Keras callbacks or Lightning hooks. Override the events you need; the others do nothing. Callbacks see the
/// loop's live state: read it, save it, never dispose it. A callback stops training with <see cref="FitRun.Stop"/>.
/// </summary>
/// <remarks>
/// Order per step: <see cref="OnGradients"/> (only when <see cref="WantsGradients"/> said so), <see cref="OnStep"/>,
/// then <see cref="OnReport"/> every <see cref="FitOptions{TBatch}.ReportEvery"/> steps. At the end of an epoch:
/// <see cref="OnEvaluation"/> (when <see cref="FitOptions{TBatch}.Evaluate"/> is set), then <see cref="OnEpochEnd"/>.
/// Callbacks run in list order. An exception from a callback ends <c>Fit</c> like any other failure.
/// </remarks>
public abstract class TrainingCallback
{
    /// <summary>After every step.</summary>
    /// <param name="step">The step that just finished.</param>
    public virtual void OnStep(StepEnd step) { }

    /// <summary>Every <see cref="FitOptions{TBatch}.ReportEvery"/> steps, with the mean loss over that window.</summary>
    /// <param name="run">The run.</param>
    /// <param name="report">The window's figures.</param>
    public virtual void OnReport(FitRun run, TrainProgress report) { }

    /// <summary>After the evaluation at the end of an epoch.</summary>
    /// <param name="evaluation">The metrics and the state they were measured on.</param>
    public virtual void OnEvaluation(EvaluationEnd evaluation) { }

    /// <summary>At the end of every epoch (after <see cref="OnEvaluation"/>).</summary>
    /// <param name="epoch">The epoch's figures and the state at its end.</param>
    public virtual void OnEpochEnd(EpochEnd epoch) { }

    /// <summary>Whether the step numbered <paramref name="step"/> (1 for the first) should pass its gradients to <see cref="OnGradients"/>.</summary>
    /// <param name="step">The number the coming step will have.</param>
    /// <returns>False by default (gradients are then never kept).</returns>
    public virtual bool WantsGradients(long step) => false;

    /// <summary>
    /// The gradients of step <paramref name="step"/>, before the update. They are disposed as soon as this returns:
    /// copy what you keep. Called only for steps <see cref="WantsGradients"/> accepted.
    /// </summary>
    /// <param name="step">The step number (1 for the first).</param>
    /// <param name="gradients">The gradients, keyed like the parameters.</param>
    public virtual void OnGradients(long step, Params gradients) { }
}
