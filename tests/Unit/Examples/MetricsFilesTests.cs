using MiniHaiku.FashionMnistExample;
using ScottPlot;

namespace MiniHaiku.Tests.Examples;

public sealed class MetricsFilesTests
{
    private static EpochMetrics Epoch(int e, double accuracy) => new(e, 0.5, 0.6, accuracy, 1, 100);

    [Theory]
    [InlineData(1, new[] { 1 })]
    [InlineData(3, new[] { 1, 2, 3 })]
    [InlineData(10, new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 })]
    [InlineData(15, new[] { 1, 3, 5, 7, 9, 11, 13, 15 })]
    [InlineData(20, new[] { 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 20 })]
    public void EpochTicksAreIntegersIncludingTheLast(int epochs, int[] expected) =>
        Assert.Equal(expected, MetricsFiles.EpochTicks(epochs));

    [Theory]
    [InlineData(new[] { 0.8823 }, 0.8, 0.95)]
    [InlineData(new[] { 0.99 }, 0.9, 1.0)]
    [InlineData(new[] { 0.01, 0.5 }, 0.0, 0.55)]
    [InlineData(new[] { double.NaN }, 0.0, 1.0)]
    public void AccuracyLimitsStayWithinZeroAndOne(double[] accuracies, double low, double high)
    {
        var (l, h) = MetricsFiles.AccuracyLimits(accuracies);
        Assert.Equal(low, l, 1e-12);
        Assert.Equal(high, h, 1e-12);
    }

    [Fact]
    public void AOneEpochPlotHasOneIntegerTickAndAnAccuracyAxisInsideZeroOne()
    {
        var steps = Enumerable.Range(1, 7).Select(s => new StepLoss(s, 1, 2.0 / s)).ToList();
        var multi = MetricsFiles.BuildPlot([Epoch(1, 0.88)], "test", steps);
        Assert.Equal(3, multi.Subplots.Count);
        var (stepPlot, loss, accuracy) = (multi.GetPlot(0), multi.GetPlot(1), multi.GetPlot(2));
        // Rendering regenerates the ticks and applies any automatic scaling: the limits checked are the drawn ones.
        multi.Render(1800, 450).Dispose();

        foreach (var plot in new[] { loss, accuracy })
        {
            var ticks = plot.Axes.Bottom.TickGenerator.Ticks;
            Assert.Equal(["1"], ticks.Select(t => t.Label));
            Assert.Equal([1.0], ticks.Select(t => t.Position));
            var x = plot.Axes.GetLimits();
            Assert.Equal((0.5, 1.5), (x.Left, x.Right));
        }
        var y = accuracy.Axes.GetLimits();
        Assert.True(y.Bottom >= 0 && y.Top <= 1 && y.Bottom < 0.88 && 0.88 < y.Top, $"{y.Bottom}..{y.Top}");
        Assert.Equal(0, loss.Axes.GetLimits().Bottom);
        var steppedX = stepPlot.Axes.GetLimits();
        Assert.Equal((1.0, 7.0), (steppedX.Left, steppedX.Right));
    }

    [Fact]
    public void WithoutStepsThePlotKeepsTwoPanelsAndWritesAPng()
    {
        var dir = Directory.CreateTempSubdirectory("minihaiku-plot-").FullName;
        try
        {
            Assert.Equal(2, MetricsFiles.BuildPlot([Epoch(1, 0.5), Epoch(2, 0.6)], "test").Subplots.Count);
            var png = Path.Combine(dir, "m.png");
            MetricsFiles.WritePlot(png, [Epoch(1, 0.5)], "test", [new StepLoss(1, 1, 0.7)]);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(png)[..4]);
            MetricsFiles.WriteStepCsv(Path.Combine(dir, "s.csv"), [new StepLoss(1, 1, 0.7), new StepLoss(2, 1, 0.25)]);
            Assert.Equal(["step,epoch,loss", "1,1,0.7", "2,1,0.25"], File.ReadAllLines(Path.Combine(dir, "s.csv")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
