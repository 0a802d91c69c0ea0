using System.Globalization;
using ScottPlot;

namespace MiniHaiku.FashionMnistExample;

/// <summary>Writes the per-epoch and per-step metrics as CSV and as a PNG plot of loss and accuracy.</summary>
public static class MetricsFiles
{
    /// <summary>Writes <c>metrics.csv</c> (one header line, one line per epoch, invariant culture).</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="epochs">The metrics, in epoch order.</param>
    public static void WriteCsv(string path, IReadOnlyList<EpochMetrics> epochs)
    {
        var lines = new List<string> { "epoch,train_loss,test_loss,test_accuracy,seconds,samples_per_second" };
        lines.AddRange(epochs.Select(e => string.Join(",",
            e.Epoch.ToString(CultureInfo.InvariantCulture),
            F(e.TrainLoss), F(e.TestLoss), F(e.TestAccuracy), F(e.Seconds), F(e.SamplesPerSecond))));
        var temp = path + ".tmp";
        File.WriteAllLines(temp, lines);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Writes <c>steps.csv</c>: the training loss of every optimizer step (one header line, invariant culture).</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="steps">The losses, in step order.</param>
    public static void WriteStepCsv(string path, IReadOnlyList<StepLoss> steps)
    {
        var lines = new List<string> { "step,epoch,loss" };
        lines.AddRange(steps.Select(s => string.Join(",", s.Step.ToString(CultureInfo.InvariantCulture), s.Epoch.ToString(CultureInfo.InvariantCulture), F(s.Loss))));
        var temp = path + ".tmp";
        File.WriteAllLines(temp, lines);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// Writes a PNG with the panels of <see cref="BuildPlot"/>: the per-step training loss (when given), loss (train
    /// and test) per epoch, and test accuracy per epoch.
    /// </summary>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="epochs">The metrics, in epoch order.</param>
    /// <param name="title">The title above the plots.</param>
    /// <param name="steps">The loss of every step, or null for the two per-epoch panels only.</param>
    public static void WritePlot(string path, IReadOnlyList<EpochMetrics> epochs, string title, IReadOnlyList<StepLoss>? steps = null)
    {
        var multi = BuildPlot(epochs, title, steps);
        var temp = path + ".tmp.png";
        multi.SavePng(temp, steps is { Count: > 0 } ? 1800 : 1200, 450);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// The plots side by side: per-step loss (raw and smoothed; only when <paramref name="steps"/> has values), loss per
    /// epoch, and accuracy per epoch. Epoch axes have integer ticks (at most about 10) and a half-epoch margin, so a
    /// 1-epoch run shows one labelled point; the accuracy axis stays within [0, 1] and the loss axes start at 0.
    /// </summary>
    /// <param name="epochs">The metrics, in epoch order.</param>
    /// <param name="title">The title prefix.</param>
    /// <param name="steps">The loss of every step, or null.</param>
    /// <returns>The plots, in that order.</returns>
    public static Multiplot BuildPlot(IReadOnlyList<EpochMetrics> epochs, string title, IReadOnlyList<StepLoss>? steps = null)
    {
        var x = epochs.Select(e => (double)e.Epoch).ToArray();
        var withSteps = steps is { Count: > 0 };
        var multi = new Multiplot();
        multi.AddPlots(withSteps ? 3 : 2);
        multi.Layout = new ScottPlot.MultiplotLayouts.Columns();
        var next = 0;

        if (withSteps)
        {
            var stepPlot = multi.GetPlot(next++);
            var sx = steps!.Select(s => (double)s.Step).ToArray();
            var sy = steps!.Select(s => s.Loss).ToArray();
            var raw = stepPlot.Add.ScatterLine(sx, sy);
            raw.LegendText = "loss per step";
            raw.LineWidth = 1;
            raw.Color = raw.Color.WithAlpha(0.35);
            var smooth = stepPlot.Add.ScatterLine(sx, Smooth(sy));
            smooth.LegendText = "moving average";
            smooth.LineWidth = 2;
            stepPlot.Title(title + " — loss per step");
            stepPlot.XLabel("step");
            stepPlot.YLabel("cross-entropy");
            stepPlot.ShowLegend(Alignment.UpperRight);
            stepPlot.Axes.SetLimitsX(sx.Length == 1 ? sx[0] - 1 : sx[0], sx.Length == 1 ? sx[0] + 1 : sx[^1]);
            stepPlot.Axes.SetLimitsY(0, UpperLimit(sy));
        }

        var loss = multi.GetPlot(next++);
        AddLine(loss, x, epochs.Select(e => e.TrainLoss).ToArray(), "train loss");
        AddLine(loss, x, epochs.Select(e => e.TestLoss).ToArray(), "test loss");
        loss.Title(title + " — loss");
        loss.XLabel("epoch");
        loss.YLabel("cross-entropy");
        loss.ShowLegend(Alignment.UpperRight);
        SetEpochAxis(loss, epochs);
        loss.Axes.SetLimitsY(0, UpperLimit(epochs.SelectMany(e => new[] { e.TrainLoss, e.TestLoss })));

        var accuracy = multi.GetPlot(next);
        AddLine(accuracy, x, epochs.Select(e => e.TestAccuracy).ToArray(), "test accuracy");
        accuracy.Title(title + " — accuracy");
        accuracy.XLabel("epoch");
        accuracy.YLabel("accuracy");
        accuracy.ShowLegend(Alignment.LowerRight);
        SetEpochAxis(accuracy, epochs);
        var (low, high) = AccuracyLimits(epochs.Select(e => e.TestAccuracy));
        accuracy.Axes.SetLimitsY(low, high);
        return multi;
    }

    /// <summary>The integer epoch ticks of a run of <paramref name="epochCount"/> epochs: every epoch up to 10, else every k-th (k = ⌈n/10⌉) and the last.</summary>
    /// <param name="epochCount">The number of epochs (at least 1).</param>
    /// <returns>The tick positions, ascending.</returns>
    public static IReadOnlyList<int> EpochTicks(int epochCount)
    {
        var n = Math.Max(1, epochCount);
        var every = (n + 9) / 10;
        var ticks = Enumerable.Range(1, n).Where(e => (e - 1) % every == 0).ToList();
        if (ticks[^1] != n) ticks.Add(n);
        return ticks;
    }

    /// <summary>Accuracy axis limits: the values with a margin of 0.05, on a 0.05 grid, clipped to [0, 1] (all of [0, 1] when there is no finite value).</summary>
    /// <param name="accuracies">The accuracies.</param>
    /// <returns>The lower and upper limits, 0 ≤ low &lt; high ≤ 1.</returns>
    public static (double Low, double High) AccuracyLimits(IEnumerable<double> accuracies)
    {
        var finite = accuracies.Where(double.IsFinite).ToList();
        if (finite.Count == 0) return (0, 1);
        var low = Math.Max(0, Math.Floor((finite.Min() - 0.05) * 20) / 20);
        var high = Math.Min(1, Math.Ceiling((finite.Max() + 0.05) * 20) / 20);
        return low < high ? (low, high) : (0, 1);
    }

    private static void SetEpochAxis(Plot plot, IReadOnlyList<EpochMetrics> epochs)
    {
        var last = epochs.Count == 0 ? 1 : epochs.Max(e => e.Epoch);
        var ticks = EpochTicks(last);
        plot.Axes.Bottom.SetTicks(ticks.Select(t => (double)t).ToArray(), ticks.Select(t => t.ToString(CultureInfo.InvariantCulture)).ToArray());
        plot.Axes.SetLimitsX(0.5, last + 0.5);
    }

    private static double UpperLimit(IEnumerable<double> values)
    {
        var finite = values.Where(double.IsFinite).ToList();
        return finite.Count == 0 || finite.Max() <= 0 ? 1 : finite.Max() * 1.1;
    }

    /// <summary>A centred moving average over about a fiftieth of the run (at least 1 step).</summary>
    private static double[] Smooth(double[] values)
    {
        var half = Math.Max(0, values.Length / 100);
        var result = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            int from = Math.Max(0, i - half), to = Math.Min(values.Length - 1, i + half);
            double sum = 0;
            for (var j = from; j <= to; j++) sum += values[j];
            result[i] = sum / (to - from + 1);
        }
        return result;
    }

    private static void AddLine(Plot plot, double[] x, double[] y, string label)
    {
        var line = plot.Add.Scatter(x, y);
        line.LegendText = label;
        line.MarkerSize = 6;
    }

    private static string F(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
