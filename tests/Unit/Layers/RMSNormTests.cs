using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class RMSNormTests
{
    private const string Scale = "~/RMSNorm_0/__call__/scale";

    [Fact]
    public void HasOnlyAScaleOfTheLastAxis()
    {
        var p = Hk.Transform((Tensor x) => RMSNorm.Create().Call(x)).Init(0, ones(2, 6));
        Assert.Equal($"{{'{Scale}': (6,)}}", p.Shapes().ToString());
    }

    [Fact]
    public void MatchesTheRmsFormulaElementByElement()
    {
        var x = Random(1, 3, 4) * 2 + 0.5;
        var f = Hk.Transform((Tensor v) => RMSNorm.Create(eps: 1e-6).Call(v));
        var p = f.Init(0, x).With(Scale, Random(2, 4));
        var y = f.Apply(p, x);
        for (var i = 0; i < 3; i++)
        {
            double ms = 0;
            for (var j = 0; j < 4; j++) ms += Math.Pow(x[i, j].item<double>(), 2) / 4;
            for (var j = 0; j < 4; j++)
                Assert.Equal(x[i, j].item<double>() / Math.Sqrt(ms + 1e-6) * p[Scale][j].item<double>(), y[i, j].item<double>(), 12);
        }
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var x = Random(5, 3, 4);
        var f = Hk.Transform((Tensor v) => RMSNorm.Create().Call(v));
        var p = f.Init(0, x).With(Scale, Random(6, 4));
        var r = Random(8, 3, 4);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, x) * r).sum());
    }
}
