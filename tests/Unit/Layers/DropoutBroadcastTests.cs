using MiniHaiku.Layers;

namespace MiniHaiku.Tests.Layers;

/// <summary><c>Hk.Dropout</c> with Haiku's <c>broadcast_dims</c>.</summary>
public class DropoutBroadcastTests
{
    [Fact]
    public void TheMaskIsSharedAlongTheBroadcastAxes()
    {
        var x = ones([6, 40, 30], dtype: ScalarType.Float64);
        var y = Hk.Transform((Tensor v) => Hk.Dropout(0.4, v, [0])).Apply(Params.Empty, x, seed: 1);
        // Every time step drops the same (batch, feature) entries.
        for (var t = 1; t < 6; t++) Assert.True(y[t].Equals(y[0]), $"step {t} has another mask");
        var kept = y[0].ne(0).to_type(ScalarType.Float64);
        Assert.InRange(kept.mean().item<double>(), 0.53, 0.67);
        Assert.True(y.masked_select(y.ne(0)).allclose(torch.full_like(y.masked_select(y.ne(0)), 1 / 0.6)));

        var z = Hk.Transform((Tensor v) => Hk.Dropout(0.5, v, [-1, 1])).Apply(Params.Empty, x, seed: 2);
        Assert.True(z.Equals(z[.., ..1, ..1].expand(6, 40, 30)), "axes 1 and -1 share the mask");
    }

    [Fact]
    public void NoBroadcastAxesDropElementsIndependentlyAndTheKeyIsReproducible()
    {
        var x = ones([20, 20], dtype: ScalarType.Float64);
        var f = Hk.Transform((Tensor v) => Hk.Dropout(0.5, v, Array.Empty<int>()));
        var a = f.Apply(Params.Empty, x, seed: 3);
        Assert.True(a.Equals(f.Apply(Params.Empty, x, seed: 3)));
        Assert.False(a.Equals(f.Apply(Params.Empty, x, seed: 4)));
        Assert.False(a[0].Equals(a[1]), "rows should differ without broadcasting");
    }

    [Fact]
    public void NotTrainingOrRateZeroIsTheIdentityAndNeedsNoKey()
    {
        var x = randn(3, 4);
        Assert.Same(x, Hk.Transform((Tensor v) => Hk.Dropout(0.5, v, [0], isTraining: false)).Apply(Params.Empty, x));
        Assert.Same(x, Hk.Transform((Tensor v) => Hk.Dropout(0, v, [0])).Apply(Params.Empty, x));
    }

    [Fact]
    public void BadAxesAndRatesAreExplained()
    {
        var e = Assert.Throws<LayerInputException>(() => Hk.Dropout(0.5, ones(2, 3), [2]));
        Assert.Contains("broadcast axis 2 does not exist in an input of shape (2, 3)", e.Message);
        Assert.Throws<LayerConfigurationException>(() => Hk.Dropout(1.5, ones(2, 3), [0]));
    }

    [Fact]
    public void GradientsFlowThroughTheKeptUnitsOnly()
    {
        // d/dθ sum(r · dropout(θ)) = r · mask / (1 − rate), with the mask fixed by the seed: checked by finite differences.
        var f = Hk.Transform((Tensor v) =>
            from h in Bias.Create(bInit: Initializers.RandomNormal()).Call(v)
            from d in Hk.Dropout(0.5, h, [0])
            select d);
        var x = Support.GradientCheck.Random(1, 4, 6);
        var p = f.Init(0, x);
        var r = Support.GradientCheck.Random(2, 4, 6);
        Support.GradientCheck.AssertMatchesFiniteDifferences(p, q => (f.Apply(q, x, seed: 9) * r).sum());
    }
}
