using System.Diagnostics;
using Spectre.Console;

namespace MiniHaiku.FashionMnistExample;

/// <summary>
/// Shows training progress: a live Spectre.Console bar (epoch, step, loss, samples/s, ETA) on a
/// terminal, or a plain line every tenth of an epoch when the output is redirected (e.g. to a log).
/// </summary>
public sealed class TrainingProgress
{
    private readonly int epochs;
    private readonly long stepsPerEpoch;
    private readonly bool interactive = AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;
    private readonly Stopwatch total = new();
    private ProgressContext? context;
    private ProgressTask? task;
    private long stepsDone;
    private long lastPlainStep = -1;

    /// <summary>Creates the display for a run.</summary>
    /// <param name="epochs">The number of epochs.</param>
    /// <param name="stepsPerEpoch">The number of optimizer steps per epoch.</param>
    public TrainingProgress(int epochs, long stepsPerEpoch)
    {
        this.epochs = epochs;
        this.stepsPerEpoch = stepsPerEpoch;
    }

    /// <summary>Runs <paramref name="body"/> with the display active.</summary>
    /// <param name="body">The training run.</param>
    public void Run(Action body)
    {
        total.Start();
        if (!interactive)
        {
            body();
            return;
        }
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 15 }, new PercentageColumn())
            .Start(ctx =>
            {
                context = ctx;
                body();
            });
    }

    /// <summary>Starts an epoch's bar.</summary>
    /// <param name="epoch">1-based epoch number.</param>
    public void StartEpoch(int epoch)
    {
        if (context is not null)
            task = context.AddTask(Compact(epoch, 0, double.NaN, 0), maxValue: stepsPerEpoch);
    }

    /// <summary>Reports a finished step.</summary>
    /// <param name="epoch">1-based epoch number.</param>
    /// <param name="step">1-based step within the epoch.</param>
    /// <param name="loss">The running mean loss of the epoch.</param>
    /// <param name="samplesPerSecond">The epoch's throughput so far.</param>
    public void Step(int epoch, long step, double loss, double samplesPerSecond)
    {
        stepsDone++;
        if (task is not null)
        {
            task.Description = Compact(epoch, step, loss, samplesPerSecond);
            task.Increment(1);
            return;
        }
        var tenth = Math.Max(1, stepsPerEpoch / 10);
        if (step % tenth == 0 || step == stepsPerEpoch)
        {
            if (step == lastPlainStep) return;
            lastPlainStep = step;
            Console.WriteLine(Describe(epoch, step, loss, samplesPerSecond));
        }
    }

    /// <summary>Prints the end-of-epoch line.</summary>
    /// <param name="metrics">The epoch's metrics.</param>
    public void EndEpoch(EpochMetrics metrics)
    {
        if (task is not null)
        {
            task.Value = task.MaxValue;
            task.StopTask();
        }
        AnsiConsole.MarkupLineInterpolated(
            $"[bold]epoch {metrics.Epoch}/{epochs}[/]  train loss {metrics.TrainLoss:F4}  [green]test acc {metrics.TestAccuracy:F4}[/]  test loss {metrics.TestLoss:F4}  {metrics.Seconds:F1}s  {metrics.SamplesPerSecond:N0} samples/s");
    }

    private string Describe(int epoch, long step, double loss, double samplesPerSecond) =>
        $"epoch {epoch}/{epochs}  step {step,5}/{stepsPerEpoch}  loss {(double.IsNaN(loss) ? "  -   " : loss.ToString("F4"))}  {samplesPerSecond,7:N0} samples/s  total ETA {FormatEta()}";

    // Fits an 80-column terminal together with the bar and the percentage.
    private string Compact(int epoch, long step, double loss, double samplesPerSecond) =>
        $"epoch {epoch}/{epochs} {step}/{stepsPerEpoch} loss {(double.IsNaN(loss) ? "-" : loss.ToString("F4"))} {samplesPerSecond:N0}/s ETA {FormatEta()}";

    private string FormatEta()
    {
        if (stepsDone == 0) return "-";
        var remaining = epochs * stepsPerEpoch - stepsDone;
        var eta = TimeSpan.FromSeconds(total.Elapsed.TotalSeconds / stepsDone * remaining);
        return eta.TotalHours >= 1 ? eta.ToString(@"h\:mm\:ss") : eta.ToString(@"m\:ss");
    }
}
