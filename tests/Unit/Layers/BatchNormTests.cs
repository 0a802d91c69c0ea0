using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class BatchNormTests
{
    private const string Path = "~/BatchNorm_0/__call__/";

    private static TransformedWithState<Tensor, Tensor> Model(bool isTraining, DataFormat format = DataFormat.ChannelsFirst) =>
        Hk.TransformWithState((Tensor x) => BatchNorm.Create(decayRate: 0.9, dataFormat: format).Call(x, isTraining));

    [Fact]
    public void ParametersAndStatePathsArePinned()
    {
        var (p, s) = Model(true).Init(0, ones(4, 3, 2, 2));
        Assert.Equal($"{{'{Path}offset': (3,), '{Path}scale': (3,)}}", p.Shapes().ToString());
        Assert.Equal($"{{'{Path}mean_ema': (3,), '{Path}var_ema': (3,)}}", s.Shapes().ToString());
        Assert.True(s[Path + "mean_ema"].Equals(zeros(3)) && s[Path + "var_ema"].Equals(ones(3)));
    }

    [Fact]
    public void TrainingThenEvaluationMatchesTorchBatchNorm2d()
    {
        var train = Model(true);
        var eval = Model(false);
        var x1 = Random(1, 4, 3, 2, 2) * 2 + 1;
        var x2 = Random(2, 4, 3, 2, 2) - 0.5;
        var (p, state) = train.Init(0, x1);
        p = p.With(Path + "scale", Random(3, 3)).With(Path + "offset", Random(4, 3));
        using var bn = nn.BatchNorm2d(3, momentum: 0.1, dtype: ScalarType.Float64);
        using (no_grad())
        {
            bn.weight!.copy_(p[Path + "scale"]);
            bn.bias!.copy_(p[Path + "offset"]);
        }
        bn.train();
        foreach (var x in new[] { x1, x2 })
        {
            var expected = bn.forward(x);
            (var y, state) = train.Apply(p, state, x);
            AssertClose(expected, y);
            AssertClose(bn.running_mean!, state[Path + "mean_ema"]);
            AssertClose(bn.running_var!, state[Path + "var_ema"]);
        }
        bn.eval();
        var x3 = Random(5, 2, 3, 2, 2);
        var (evalY, evalState) = eval.Apply(p, state, x3);
        AssertClose(bn.forward(x3), evalY);
        Assert.True(evalState[Path + "mean_ema"].Equals(state[Path + "mean_ema"]), "evaluation must not move the averages");
    }

    [Fact]
    public void ChannelsLastEqualsChannelsFirstOnPermutedInput()
    {
        var x = Random(6, 4, 3, 2, 2);
        var (p, s) = Model(true).Init(0, x);
        var (yFirst, sFirst) = Model(true).Apply(p, s, x);
        var (yLast, sLast) = Model(true, DataFormat.ChannelsLast).Apply(p, s, x.permute(0, 2, 3, 1));
        AssertClose(yFirst, yLast.permute(0, 3, 1, 2));
        AssertClose(sFirst[Path + "var_ema"], sLast[Path + "var_ema"]);
    }

    [Fact]
    public void ChannelsLastRank3EqualsChannelsFirstAndRank2MatchesTorchBatchNorm1d()
    {
        var x = Random(8, 5, 3, 4);
        var (p, s) = Model(true).Init(0, x);
        var (yFirst, sFirst) = Model(true).Apply(p, s, x);
        var (yLast, sLast) = Model(true, DataFormat.ChannelsLast).Apply(p, s, x.permute(0, 2, 1));
        AssertClose(yFirst, yLast.permute(0, 2, 1));
        AssertClose(sFirst[Path + "mean_ema"], sLast[Path + "mean_ema"]);
        var flat = Random(9, 6, 3);
        using var bn1d = nn.BatchNorm1d(3, momentum: 0.1, dtype: ScalarType.Float64);
        bn1d.train();
        var expectedFlat = bn1d.forward(flat);
        var (yFlat, sFlat) = Model(true, DataFormat.ChannelsLast).Apply(p, s, flat);
        AssertClose(expectedFlat, yFlat);
        AssertClose(bn1d.running_var!, sFlat[Path + "var_ema"]);
    }

    [Fact]
    public void TrainingLeavesTheInputStateUntouched()
    {
        var x = Random(10, 4, 3, 2, 2) * 3 + 2;
        var (p, s) = Model(true).Init(0, x);
        var meanBefore = s[Path + "mean_ema"].clone();
        var varBefore = s[Path + "var_ema"].clone();
        var (_, newState) = Model(true).Apply(p, s, x);
        Assert.True(s[Path + "mean_ema"].Equals(meanBefore) && s[Path + "var_ema"].Equals(varBefore), "the old state must not be updated in place");
        Assert.False(newState[Path + "mean_ema"].Equals(meanBefore), "the new state must hold the updated averages");
    }

    [Fact]
    public void EvaluationAtInitUsesTheFreshAverages()
    {
        var x = Random(7, 2, 3, 2, 2);
        var eval = Model(false);
        var (p, s) = eval.Init(0, x);
        var (y, _) = eval.Apply(p, s, x);
        using var bn = nn.BatchNorm2d(3, dtype: ScalarType.Float64);
        bn.eval();
        AssertClose(bn.forward(x), y);
    }

    [Fact]
    public void TrainingGradientsMatchFiniteDifferences()
    {
        var x = Random(8, 4, 2, 2, 2);
        var train = Model(true);
        var (p, s) = train.Init(0, x);
        p = p.With(Path + "scale", Random(9, 2)).With(Path + "offset", Random(10, 2));
        var r = Random(11, 4, 2, 2, 2);
        AssertMatchesFiniteDifferences(p, q => (train.Apply(q, s, x).Output * r).sum());
    }

    [Fact]
    public void NeedsTransformWithStateAndMoreThanOneValuePerChannel()
    {
        Assert.Throws<StatefulTransformRequiredException>(() =>
            Hk.Transform((Tensor x) => BatchNorm.Create().Call(x, isTraining: true)).Init(0, ones(2, 3)));
        Assert.Throws<LayerInputException>(() => Model(true, DataFormat.ChannelsLast).Init(0, ones(1, 3)));
        Assert.Throws<LayerConfigurationException>(() => BatchNorm.Create(decayRate: 1.5));
    }
}
