using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class ExponentialMovingAverageTests
{
    private const string P = "~/ExponentialMovingAverage_0/__call__/";

    private static TransformedWithState<Tensor, Tensor> Ema(double decay, bool zeroDebias = true, int warmup = 0, bool updateStats = true) =>
        Hk.TransformWithState((Tensor v) =>
            from ema in ExponentialMovingAverage.Create(decay, zeroDebias, warmup)
            from average in ema.Call(v, updateStats)
            select average);

    /// <summary>Feeds the values one call at a time, threading the state; returns every call's average.</summary>
    private static (double[] Averages, Params State) Run(TransformedWithState<Tensor, Tensor> f, params double[] values)
    {
        var (p, state) = f.Init(0, tensor(values[0], ScalarType.Float64));
        var averages = new List<double>();
        foreach (var v in values)
        {
            (var a, state) = f.Apply(p, state, tensor(v, ScalarType.Float64));
            averages.Add(a.item<double>());
        }
        return ([.. averages], state);
    }

    [Fact]
    public void ZeroDebiasedAverageMatchesTheHandComputedValues()
    {
        // decay 0.5: hidden 1, 2.5, 4.25 for values 2, 4, 6; debiased by 1 − 0.5^t: 2, 3.333…, 4.857…
        var (averages, state) = Run(Ema(0.5), 2, 4, 6);
        Assert.Equal(2.0, averages[0], 12);
        Assert.Equal(2.5 / 0.75, averages[1], 12);
        Assert.Equal(4.25 / 0.875, averages[2], 12);
        Assert.Equal(3, state[P + "counter"].item<int>());
        Assert.Equal(ScalarType.Int32, state[P + "counter"].dtype);
        Assert.Equal(4.25, state[P + "hidden"].item<double>(), 12);
        Assert.Equal(4.25 / 0.875, state[P + "average"].item<double>(), 12);
    }

    [Fact]
    public void WithoutDebiasingTheAverageIsTheHiddenValueAndWarmUpFollowsTheValue()
    {
        Assert.Equal([1.0, 2.5, 4.25], Run(Ema(0.5, zeroDebias: false), 2, 4, 6).Averages);
        // warm-up 2: counter −2 → −1, 0 (decay 0: the value itself), then 1: 0.5·4 + 0.5·6.
        Assert.Equal([2.0, 4.0, 5.0], Run(Ema(0.5, zeroDebias: false, warmup: 2), 2, 4, 6).Averages);
    }

    [Fact]
    public void InitReturnsTheFirstValuesTheStateTookAndUpdateStatsFalseLeavesTheStateAlone()
    {
        var f = Ema(0.9);
        var (p, state) = f.Init(0, tensor(new[] { 1.0, 3.0 }));
        Assert.Empty(p);
        Assert.Equal(0, state[P + "counter"].item<int>());
        Assert.Equal(0.0, state[P + "hidden"].abs().sum().item<double>());
        var (_, next) = f.Apply(p, state, tensor(new[] { 1.0, 3.0 }));
        var frozen = Ema(0.9, updateStats: false);
        var (average, same) = frozen.Apply(p, next, tensor(new[] { 5.0, 5.0 }));
        Assert.Equal(1, same[P + "counter"].item<int>());
        Assert.True(same[P + "hidden"].equal(next[P + "hidden"]).all().item<bool>());
        // The returned average still includes the value: (0.9·0.1·[1, 3] + 0.1·5) / (1 − 0.81).
        Assert.True(average.allclose(tensor(new[] { (0.09 * 1 + 0.5) / 0.19, (0.09 * 3 + 0.5) / 0.19 }), 1e-6, 1e-6));
    }

    [Fact]
    public void BadConfigurationsAreLayerConfigurationExceptions()
    {
        Assert.Throws<LayerConfigurationException>(() => Ema(1.5).Init(0, ones(1)));
        Assert.Throws<LayerConfigurationException>(() => Ema(0.5, zeroDebias: false, warmup: -1).Init(0, ones(1)));
        var e = Assert.Throws<LayerConfigurationException>(() => Ema(0.5, zeroDebias: true, warmup: 3).Init(0, ones(1)));
        Assert.Contains("zeroDebias: false", e.Message);
        var i = Assert.Throws<LayerInputException>(() => Ema(0.5).Init(0, ones(1, dtype: ScalarType.Int64)));
        Assert.Contains("~/ExponentialMovingAverage_0", i.Message);
    }

    [Fact]
    public void InitializeAndAverageShareTheCallersStatePaths()
    {
        var f = Hk.TransformWithState((Tensor v) =>
            from ema in ExponentialMovingAverage.Create(0.5)
            from init in ema.Initialize([2], ScalarType.Float64)
            from updated in ema.Call(v)
            from read in ema.Average()
            select (init, updated, read));
        var (_, state) = f.Init(0, tensor(new[] { 2.0, 4.0 }));
        Assert.Equal(new[] { P + "average", P + "counter", P + "hidden" }, state.Keys.ToArray());
        var (r, _) = f.Apply(Params.Empty, state, tensor(new[] { 2.0, 4.0 }));
        Assert.True(r.read.equal(r.updated).all().item<bool>());
        Assert.True(r.read.allclose(tensor(new[] { 2.0, 4.0 })));
    }

    [Fact]
    public void GradientsOfTheAverageWithRespectToTheValueMatchFiniteDifferences()
    {
        // The averaged value is a parameter here, so the check covers d average / d value = (1 − decay) / (1 − decay^t).
        var f = Hk.TransformWithState((int _) =>
            from v in Hk.GetParam("v", [3], Initializers.RandomNormal(), ScalarType.Float64)
            from ema in ExponentialMovingAverage.Create(0.7)
            from a in ema.Call(v)
            from b in ema.Call(v.square())
            select a + b);
        var (p, state) = f.Init(0, 0);
        var r = Random(1, 3);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, state, 0).Output * r).sum());
    }
}
