using MiniHaiku.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Training;

/// <summary>
/// A <see cref="TrainingCallback"/> writing TensorBoard event files through TorchSharp's
/// <c>torch.utils.tensorboard.SummaryWriter</c>: at every report <c>train/loss</c> (the window's mean loss),
/// <c>train/samples_per_second</c> and, given the schedule, <c>train/learning_rate</c>; after every evaluation
/// <c>eval/{metric}</c>; every <c>histogramEvery</c> steps histograms <c>params/{path}</c> and <c>gradients/{path}</c>.
/// View them with <c>tensorboard --logdir {logDir}</c>.
/// </summary>
/// <remarks>
/// TorchSharp's writer stores steps as 32-bit integers (larger steps are clamped) and wall times as single-precision
/// Unix seconds (a resolution of about two minutes). Each event is appended and flushed as it is written: nothing to close.
/// </remarks>
public sealed class TensorBoardLogger : TrainingCallback
{
    private readonly TorchSharp.Modules.SummaryWriter writer;
    private readonly Schedule? learningRate;
    private readonly long histogramEvery;

    /// <summary>Creates the logger and its event file.</summary>
    /// <param name="logDir">The run's folder (created when missing), e.g. <c>runs/mlp/tensorboard</c>.</param>
    /// <param name="learningRate">The optimizer's schedule, to log the learning rate at each report, or null.</param>
    /// <param name="histogramEvery">Write parameter and gradient histograms every this many steps; 0 for never.</param>
    public TensorBoardLogger(string logDir, Schedule? learningRate = null, long histogramEvery = 0)
    {
        ArgumentNullException.ThrowIfNull(logDir);
        if (histogramEvery < 0) throw new ModelUsageException($"histogramEvery must not be negative, got {histogramEvery}.");
        writer = torch.utils.tensorboard.SummaryWriter(logDir);
        this.learningRate = learningRate;
        this.histogramEvery = histogramEvery;
    }

    /// <summary>The folder the event file is in.</summary>
    public string LogDir => writer.LogDir;

    /// <summary>Writes one scalar (for figures of your own).</summary>
    /// <param name="tag">The tag, e.g. <c>eval/accuracy</c>.</param>
    /// <param name="value">The value.</param>
    /// <param name="step">The step.</param>
    public void Scalar(string tag, double value, long step) => writer.add_scalar(tag, (float)value, ClampStep(step));

    /// <inheritdoc />
    public override void OnReport(FitRun run, TrainProgress report)
    {
        ArgumentNullException.ThrowIfNull(report);
        Scalar("train/loss", report.MeanLoss, report.Step);
        Scalar("train/samples_per_second", report.SamplesPerSecond, report.Step);
        // The update of step s used the schedule at count s - 1 (Optax counts from 0).
        if (learningRate is not null) Scalar("train/learning_rate", learningRate.ValueAt(report.Step - 1), report.Step);
    }

    /// <inheritdoc />
    public override void OnEvaluation(EvaluationEnd evaluation)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        foreach (var (name, value) in evaluation.Metrics) Scalar("eval/" + name, value, evaluation.State.Step);
    }

    /// <inheritdoc />
    public override void OnStep(StepEnd step)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (WantsGradients(step.State.Step)) Histograms("params/", step.State.Params, step.State.Step);
    }

    /// <inheritdoc />
    public override bool WantsGradients(long step) => histogramEvery > 0 && step % histogramEvery == 0;

    /// <inheritdoc />
    public override void OnGradients(long step, Params gradients) => Histograms("gradients/", gradients, step);

    private void Histograms(string prefix, Params values, long step)
    {
        ArgumentNullException.ThrowIfNull(values);
        using var scope = torch.NewDisposeScope();
        foreach (var (path, t) in values)
            if (t.is_floating_point() && t.numel() > 0)
                writer.add_histogram(prefix + path, t.detach().cpu().to_type(ScalarType.Float64), ClampStep(step));
    }

    private static int ClampStep(long step) => (int)Math.Clamp(step, 0, int.MaxValue);
}
