using MiniHaiku.Layers;

namespace MiniHaiku.Tests.Layers;

public class DropoutTests
{
    private static Transformed<Tensor, Tensor> Dropout(double rate, bool isTraining = true) =>
        Hk.Transform((Tensor x) => Hk.Dropout(rate, x, isTraining));

    [Fact]
    public void RateZeroIsTheIdentityAndNeedsNoKey()
    {
        var x = randn(4, 5);
        var f = Dropout(0);
        Assert.Same(x, f.Apply(Params.Empty, x));
    }

    [Fact]
    public void NotTrainingIsTheIdentityAndNeedsNoKey()
    {
        var x = randn(4, 5);
        Assert.Same(x, Dropout(0.7, isTraining: false).Apply(Params.Empty, x));
    }

    [Fact]
    public void DropsAboutRateAndScalesSurvivors()
    {
        var x = ones(100, 100, dtype: ScalarType.Float64);
        var y = Dropout(0.3).Apply(Params.Empty, x, seed: 3);
        var kept = y.ne(0);
        var keptFraction = kept.to_type(ScalarType.Float64).mean().item<double>();
        Assert.InRange(keptFraction, 0.68, 0.72);
        Assert.True(y.masked_select(kept).allclose(torch.full_like(y.masked_select(kept), 1 / 0.7)));
        Assert.InRange(y.mean().item<double>(), 0.97, 1.03);
    }

    [Fact]
    public void SameSeedSameMaskDifferentSeedDifferentMask()
    {
        var x = ones(50, 50);
        var f = Dropout(0.5);
        Assert.True(f.Apply(Params.Empty, x, seed: 1).Equals(f.Apply(Params.Empty, x, seed: 1)));
        Assert.False(f.Apply(Params.Empty, x, seed: 1).Equals(f.Apply(Params.Empty, x, seed: 2)));
    }

    [Fact]
    public void TwoDropoutsInOneModelDrawDifferentMasks()
    {
        var f = Hk.Transform((Tensor x) => from a in Hk.Dropout(0.5, x) from b in Hk.Dropout(0.5, x) select (a, b));
        var (a, b) = f.Apply(Params.Empty, ones(50, 50), seed: 4);
        Assert.False(a.Equals(b));
    }

    [Fact]
    public void MissingKeyDuringTrainingApplyIsExplained()
    {
        var e = Assert.Throws<MissingRngException>(() => Dropout(0.5).Apply(Params.Empty, ones(3)));
        Assert.Contains("seed", e.Message);
    }

    [Fact]
    public void RateOneGivesZerosAndInvalidRatesThrow()
    {
        Assert.Equal(0f, Dropout(1).Apply(Params.Empty, ones(3, 3), seed: 0).abs().sum().item<float>());
        Assert.Throws<LayerConfigurationException>(() => Hk.Dropout(-0.1, ones(2)));
        Assert.Throws<LayerConfigurationException>(() => Hk.Dropout(1.5, ones(2)));
        Assert.Throws<LayerConfigurationException>(() => Hk.Dropout(double.NaN, ones(2)));
    }
}
