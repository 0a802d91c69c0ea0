using System.Globalization;
using ScottPlot;

namespace MiniHaiku.FashionMnistExample;

/// <summary>Writes the per-epoch metrics as CSV and as a PNG plot of loss and accuracy.</summary>
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

    /// <summary>Writes a PNG with two panels: loss (train and test) and test accuracy per epoch.</summary>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="epochs">The metrics, in epoch order.</param>
    /// <param name="title">The title above the plots.</param>
    public static void WritePlot(string path, IReadOnlyList<EpochMetrics> epochs, string title)
    {
        var x = epochs.Select(e => (double)e.Epoch).ToArray();
        var multi = new Multiplot();
        multi.AddPlots(2);
        multi.Layout = new ScottPlot.MultiplotLayouts.Columns();

        var loss = multi.GetPlot(0);
        AddLine(loss, x, epochs.Select(e => e.TrainLoss).ToArray(), "train loss");
        AddLine(loss, x, epochs.Select(e => e.TestLoss).ToArray(), "test loss");
        loss.Title(title + " — loss");
        loss.XLabel("epoch");
        loss.YLabel("cross-entropy");
        loss.ShowLegend(Alignment.UpperRight);

        var accuracy = multi.GetPlot(1);
        AddLine(accuracy, x, epochs.Select(e => e.TestAccuracy).ToArray(), "test accuracy");
        accuracy.Title(title + " — accuracy");
        accuracy.XLabel("epoch");
        accuracy.YLabel("accuracy");
        accuracy.ShowLegend(Alignment.LowerRight);

        var temp = path + ".tmp.png";
        multi.SavePng(temp, 1200, 450);
        File.Move(temp, path, overwrite: true);
    }

    private static void AddLine(Plot plot, double[] x, double[] y, string label)
    {
        var line = plot.Add.Scatter(x, y);
        line.LegendText = label;
        line.MarkerSize = 6;
    }

    private static string F(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
