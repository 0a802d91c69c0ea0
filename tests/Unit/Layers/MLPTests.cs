using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class MLPTests
{
    private const string L0 = "~/MLP_0/__call__/Linear_0/__call__/";
    private const string L1 = "~/MLP_0/__call__/Linear_1/__call__/";

    [Fact]
    public void ParameterPathsAndShapesArePinned()
    {
        var f = Hk.Transform((Tensor x) => MLP.Create([5, 3]).Call(x));
        var p = f.Init(0, ones(2, 4));
        Assert.Equal(
            $"{{'{L0}b': (5,), '{L0}w': (4, 5), '{L1}b': (3,), '{L1}w': (5, 3)}}",
            p.Shapes().ToString());
    }

    [Fact]
    public void MatchesTorchSequentialOfLinearAndActivation()
    {
        foreach (var activateFinal in new[] { false, true })
        {
            var x = Random(1, 6, 4);
            var f = Hk.Transform((Tensor v) => MLP.Create([5, 3], Activations.Tanh, activateFinal).Call(v));
            var p = f.Init(0, x).With(L0 + "b", Random(2, 5)).With(L1 + "b", Random(3, 3));
            using var l0 = nn.Linear(4, 5, dtype: ScalarType.Float64);
            using var l1 = nn.Linear(5, 3, dtype: ScalarType.Float64);
            using (no_grad())
            {
                l0.weight!.copy_(p[L0 + "w"].t()); l0.bias!.copy_(p[L0 + "b"]);
                l1.weight!.copy_(p[L1 + "w"].t()); l1.bias!.copy_(p[L1 + "b"]);
            }
            var expected = l1.forward(torch.tanh(l0.forward(x)));
            if (activateFinal) expected = torch.tanh(expected);
            AssertClose(expected, f.Apply(p, x));
        }
    }

    [Fact]
    public void DefaultActivationIsRelu()
    {
        var x = Random(4, 6, 4);
        var f = Hk.Transform((Tensor v) => MLP.Create([5, 3]).Call(v));
        var p = f.Init(1, x);
        var h = nn.functional.relu(x.matmul(p[L0 + "w"]) + p[L0 + "b"]);
        AssertClose(h.matmul(p[L1 + "w"]) + p[L1 + "b"], f.Apply(p, x));
    }

    [Fact]
    public void DropoutOnlyWhenTrainingAndThenKeyed()
    {
        var x = Random(5, 20, 8);
        Transformed<Tensor, Tensor> Make(bool training) => Hk.Transform((Tensor v) =>
            MLP.Create([50], v2 => v2, activateFinal: true, dropoutRate: 0.5).Call(v, training));
        var eval = Make(false);
        var train = Make(true);
        var p = eval.Init(0, x);
        Assert.Equal(p.Shapes(), train.Init(0, x).Shapes());

        var clean = eval.Apply(p, x);                       // no key needed when not training
        Assert.Throws<MissingRngException>(() => train.Apply(p, x));
        var dropped = train.Apply(p, x, seed: 11);
        // Each output is either dropped (0) or the clean value scaled by 1/(1-rate) = 2.
        var kept = dropped.ne(0);
        AssertClose(clean.masked_select(kept) * 2, dropped.masked_select(kept));
        var keptFraction = kept.to_type(ScalarType.Float64).mean().item<double>();
        Assert.InRange(keptFraction, 0.4, 0.6);
        AssertClose(dropped, train.Apply(p, x, seed: 11), 0, 0);
        Assert.False(dropped.allclose(train.Apply(p, x, seed: 12)));
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var x = Random(7, 3, 4);
        var r = Random(8, 3, 2);
        var f = Hk.Transform((Tensor v) => MLP.Create([5, 2], Activations.Tanh).Call(v));
        var p = f.Init(1, x).With(L0 + "b", Random(9, 5)).With(L1 + "b", Random(10, 2));
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, x) * r).sum());
    }

    [Fact]
    public void BadConfigurationsAreRejected()
    {
        Assert.Throws<LayerConfigurationException>(() => MLP.Create([]));
        Assert.Throws<LayerConfigurationException>(() => MLP.Create([3, 0]));
        Assert.Throws<LayerConfigurationException>(() => MLP.Create([3], dropoutRate: 1.0));
    }
}
