using System.Globalization;
using MiniHaiku.Data;
using ScottPlot;
using static TorchSharp.torch;

namespace MiniHaiku.FashionMnistExample;

/// <summary>Counts of (true class, predicted class) over a data set, with per-class accuracy (recall).</summary>
public sealed class ConfusionMatrix
{
    private readonly long[,] counts;

    /// <summary>Creates an empty matrix.</summary>
    /// <param name="classCount">The number of classes.</param>
    public ConfusionMatrix(int classCount) => counts = new long[classCount, classCount];

    /// <summary>The number of classes.</summary>
    public int ClassCount => counts.GetLength(0);

    /// <summary>How many examples of class <paramref name="actual"/> were predicted as <paramref name="predicted"/>.</summary>
    /// <param name="actual">The true class.</param>
    /// <param name="predicted">The predicted class.</param>
    public long this[int actual, int predicted] => counts[actual, predicted];

    /// <summary>The number of examples counted.</summary>
    public long Total => counts.Cast<long>().Sum();

    /// <summary>Adds a batch of predictions.</summary>
    /// <param name="actual">int64 [B] true labels.</param>
    /// <param name="predicted">int64 [B] predicted labels.</param>
    public void Add(Tensor actual, Tensor predicted)
    {
        var a = actual.cpu().to_type(ScalarType.Int64).data<long>().ToArray();
        var p = predicted.cpu().to_type(ScalarType.Int64).data<long>().ToArray();
        for (var i = 0; i < a.Length; i++) counts[a[i], p[i]]++;
    }

    /// <summary>The examples of class <paramref name="actual"/>.</summary>
    /// <param name="actual">The true class.</param>
    /// <returns>The row sum.</returns>
    public long Support(int actual) => Enumerable.Range(0, ClassCount).Sum(j => counts[actual, j]);

    /// <summary>The fraction of class <paramref name="actual"/> classified correctly, or NaN when it has no examples.</summary>
    /// <param name="actual">The true class.</param>
    /// <returns>The accuracy (recall) of that class.</returns>
    public double ClassAccuracy(int actual) => Support(actual) == 0 ? double.NaN : (double)counts[actual, actual] / Support(actual);

    /// <summary>The overall accuracy.</summary>
    public double Accuracy => Total == 0 ? double.NaN : (double)Enumerable.Range(0, ClassCount).Sum(i => counts[i, i]) / Total;

    /// <summary>Writes the counts as CSV: a header of predicted class names, then one row per true class.</summary>
    /// <param name="path">The file.</param>
    public void WriteCsv(string path)
    {
        var names = FashionMnist.ClassNames;
        var lines = new List<string> { "actual\\predicted," + string.Join(",", Enumerable.Range(0, ClassCount).Select(Name)) + ",accuracy" };
        for (var i = 0; i < ClassCount; i++)
            lines.Add(Name(i) + "," + string.Join(",", Enumerable.Range(0, ClassCount).Select(j => counts[i, j].ToString(CultureInfo.InvariantCulture))) + "," +
                      ClassAccuracy(i).ToString("G6", CultureInfo.InvariantCulture));
        File.WriteAllLines(path, lines);
        string Name(int i) => i < names.Count ? names[i].Replace(',', ' ') : i.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Builds the heat map: rows are true classes, columns predicted classes, each cell labelled with its count.</summary>
    /// <param name="title">The title.</param>
    /// <returns>The plot.</returns>
    public Plot BuildPlot(string title)
    {
        var n = ClassCount;
        // Row-normalised, so rare and common classes share one colour scale.
        var values = new double[n, n];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
                values[i, j] = Support(i) == 0 ? 0 : (double)counts[i, j] / Support(i);
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(values);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        // ScottPlot draws row 0 of the values at the top, as the text and tick labels below expect.
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
            {
                var text = plot.Add.Text(counts[i, j].ToString(CultureInfo.InvariantCulture), j, n - 1 - i);
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontColor = values[i, j] > 0.5 ? Colors.Black : Colors.White;
                text.LabelFontSize = 11;
            }
        plot.Add.ColorBar(heatmap);
        var names = Enumerable.Range(0, n).Select(i => i < FashionMnist.ClassNames.Count ? FashionMnist.ClassNames[i] : i.ToString(CultureInfo.InvariantCulture)).ToArray();
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, n).Select(i => (double)i).ToArray(), names);
        plot.Axes.Bottom.TickLabelStyle.FontSize = 10;
        plot.Axes.Left.SetTicks(Enumerable.Range(0, n).Select(i => (double)(n - 1 - i)).ToArray(), names);
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        plot.Title(title);
        plot.XLabel("predicted");
        plot.YLabel("actual");
        return plot;
    }

    /// <summary>Writes <see cref="BuildPlot"/> as a PNG.</summary>
    /// <param name="path">The file.</param>
    /// <param name="title">The title.</param>
    public void WritePlot(string path, string title)
    {
        var temp = path + ".tmp.png";
        BuildPlot(title).SavePng(temp, 1000, 850);
        File.Move(temp, path, overwrite: true);
    }
}
