using MiniHaiku.FashionMnistExample;
using ScottPlot;
using SkiaSharp;

namespace MiniHaiku.Tests.Examples;

public sealed class ConfusionMatrixTests
{
    [Fact]
    public void CountsPairsAndGivesPerClassAccuracy()
    {
        var m = new ConfusionMatrix(3);
        m.Add(torch.tensor(new long[] { 0, 0, 1, 1, 1, 2 }), torch.tensor(new long[] { 0, 1, 1, 1, 2, 0 }));
        Assert.Equal(6, m.Total);
        Assert.Equal([1L, 1, 0], Enumerable.Range(0, 3).Select(j => m[0, j]));
        Assert.Equal([0L, 2, 1], Enumerable.Range(0, 3).Select(j => m[1, j]));
        Assert.Equal(0.5, m.ClassAccuracy(0));
        Assert.Equal(2.0 / 3, m.ClassAccuracy(1));
        Assert.Equal(0.0, m.ClassAccuracy(2));
        Assert.Equal(0.5, m.Accuracy);
        Assert.True(double.IsNaN(new ConfusionMatrix(2).ClassAccuracy(0)));
    }

    [Fact]
    public void CsvHasClassNamesAndRowsThatSumToTheSupport()
    {
        var m = new ConfusionMatrix(10);
        m.Add(torch.tensor(new long[] { 9, 9, 0 }), torch.tensor(new long[] { 9, 7, 0 }));
        var path = Path.GetTempFileName();
        try
        {
            m.WriteCsv(path);
            var lines = File.ReadAllLines(path);
            Assert.StartsWith("actual\\predicted,T-shirt/top,Trouser,", lines[0]);
            Assert.Equal("Ankle boot,0,0,0,0,0,0,0,1,0,1,0.5", lines[10]);
            Assert.Equal("T-shirt/top,1,0,0,0,0,0,0,0,0,0,1", lines[1]);
            Assert.Equal(11, lines.Length);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void TheHeatMapCellOfRowIAndColumnJIsWhereItsLabelsAre()
    {
        // All of class 0 predicted as class 0 (bright), none of it as class 2 (dark); class 1 all as class 2.
        var m = new ConfusionMatrix(3);
        m.Add(torch.tensor(new long[] { 0, 0, 1, 2 }), torch.tensor(new long[] { 0, 0, 2, 2 }));
        var plot = m.BuildPlot("t");
        using var image = plot.GetImage(600, 500);
        using var bitmap = SKBitmap.Decode(image.GetImageBytes());
        double Brightness(int actual, int predicted)
        {
            // Row `actual` is drawn at y = n - 1 - actual (its tick label's position), column `predicted` at x = predicted.
            var px = plot.GetPixel(new Coordinates(predicted + 0.3, 2 - actual + 0.3));
            var c = bitmap.GetPixel((int)px.X, (int)px.Y);
            return c.Red + c.Green + c.Blue;
        }
        Assert.True(Brightness(0, 0) > Brightness(0, 2) + 200, $"{Brightness(0, 0)} vs {Brightness(0, 2)}");
        Assert.True(Brightness(1, 2) > Brightness(1, 1) + 200, $"{Brightness(1, 2)} vs {Brightness(1, 1)}");
    }
}
