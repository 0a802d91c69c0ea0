using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

/// <summary>BatchNorm over chosen axes (Haiku's <c>axis</c>).</summary>
public class BatchNormAxesTests
{
    private const string Path = "~/BatchNorm_0/__call__/";

    private static TransformedWithState<Tensor, Tensor> Model(IReadOnlyList<int> axis, bool isTraining) =>
        Hk.TransformWithState((Tensor x) => BatchNorm.Create(axis: axis).Call(x, isTraining));

    [Fact]
    public void StatisticsAndParametersHaveTheShapeOfTheKeptAxes()
    {
        var (p, s) = Model([0], true).Init(0, ones(4, 3, 2));
        Assert.Equal($"{{'{Path}offset': (3, 2), '{Path}scale': (3, 2)}}", p.Shapes().ToString());
        Assert.Equal($"{{'{Path}mean_ema': (3, 2), '{Path}var_ema': (3, 2)}}", s.Shapes().ToString());
    }

    [Fact]
    public void ReducingOverAllButTheChannelEqualsTheDefault()
    {
        var x = Random(1, 4, 3, 3, 2) * 2 + 1;
        var byDefault = Hk.TransformWithState((Tensor v) => BatchNorm.Create().Call(v, true));
        var (p, s) = byDefault.Init(0, x);
        p = p.With(Path + "scale", Random(2, 2)).With(Path + "offset", Random(3, 2));
        var (expected, expectedState) = byDefault.Apply(p, s, x);
        var (y, state) = Model([0, 1, 2], true).Apply(p, s, x);
        AssertClose(expected, y);
        AssertClose(expectedState[Path + "var_ema"], state[Path + "var_ema"]);
        var (e, _) = Hk.TransformWithState((Tensor v) => BatchNorm.Create().Call(v, false)).Apply(p, state, x);
        AssertClose(e, Model([-4, -3, -2], false).Apply(p, state, x).Output);
    }

    [Fact]
    public void TrainingMatchesTorchBatchNorm1dOnTheFlattenedKeptAxes()
    {
        // axis [0] on [N, T, C]: one statistic per (t, c), i.e. BatchNorm1d over [N, T·C].
        var x1 = Random(4, 5, 2, 3) * 3 - 1;
        var x2 = Random(5, 5, 2, 3);
        var train = Model([0], true);
        var (p, state) = train.Init(0, x1);
        p = p.With(Path + "scale", Random(6, 2, 3)).With(Path + "offset", Random(7, 2, 3));
        using var bn = nn.BatchNorm1d(6, momentum: 0.1, dtype: ScalarType.Float64);
        using (no_grad())
        {
            bn.weight!.copy_(p[Path + "scale"].reshape(6));
            bn.bias!.copy_(p[Path + "offset"].reshape(6));
        }
        foreach (var x in new[] { x1, x2 })
        {
            var expected = bn.forward(x.reshape(5, 6)).reshape(5, 2, 3);
            (var y, state) = train.Apply(p, state, x);
            AssertClose(expected, y);
            AssertClose(bn.running_mean!.reshape(2, 3), state[Path + "mean_ema"]);
            AssertClose(bn.running_var!.reshape(2, 3), state[Path + "var_ema"]);
        }
        bn.eval();
        var x3 = Random(8, 2, 2, 3);
        AssertClose(bn.forward(x3.reshape(2, 6)).reshape(2, 2, 3), Model([0], false).Apply(p, state, x3).Output);
    }

    [Fact]
    public void NonContiguousAxesMatchAManualComputation()
    {
        // axis [0, 2] on [N, C, W]: per-channel statistics of a channels-first input.
        var x = Random(9, 3, 2, 4);
        var (p, s) = Model([0, 2], true).Init(0, x);
        Assert.Equal([2L], p[Path + "scale"].shape);
        var mean = x.mean([0, 2], keepdim: true);
        var variance = (x - mean).square().mean([0, 2], keepdim: true);
        AssertClose((x - mean) / (variance + 1e-5).sqrt(), Model([0, 2], true).Apply(p, s, x).Output);
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var x = Random(10, 4, 2, 3);
        var f = Model([0, 1], true);
        var (p0, s) = f.Init(0, x);
        var p = p0.With(Path + "scale", Random(11, 3)).With(Path + "offset", Random(12, 3));
        var r = Random(13, 4, 2, 3);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, s, x).Output * r).sum());
    }

    [Fact]
    public void BadAxesAreExplained()
    {
        var e = Assert.Throws<LayerInputException>(() => Model([3], true).Init(0, ones(2, 3)));
        Assert.Contains("axis 3 is out of range", e.Message);
        var one = Assert.Throws<LayerInputException>(() => Model([1], true).Init(0, ones(2, 1)));
        Assert.Contains("more than one value per statistic", one.Message);
        Assert.Throws<LayerConfigurationException>(() => BatchNorm.Create(axis: []));
    }
}
