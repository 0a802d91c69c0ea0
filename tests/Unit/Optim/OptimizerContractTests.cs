using MiniHaiku.Optim;
using static MiniHaiku.Tests.Optim.OptimizerHarness;

namespace MiniHaiku.Tests.Optim;

/// <summary>Laws every optimizer keeps: pure updates, checkpointable state, dtypes kept; plus each one's argument checks.</summary>
public class OptimizerContractTests
{
    public static TheoryData<string> Names() => [.. ConvergenceTests.AllNames];

    private static Params Grads(Params p) => Grad.Gradient(Loss)(p);

    [Theory]
    [MemberData(nameof(Names))]
    public void UpdateChangesNeitherGradientsNorParametersNorState(string name)
    {
        var opt = ConvergenceTests.Make(name, Loss);
        var p = Initial();
        var s = opt.Init(p);
        for (var i = 0; i < 2; i++) s = opt.Update(Grads(p), s, p).State;
        var (grads, pCopy, sCopy) = (Grads(p), p.Map(t => t.clone()), s.ToParams().Map(t => t.clone()));
        var gCopy = grads.Map(t => t.clone());
        var (u1, _) = opt.Update(grads, s, p);
        Assert.True(grads.BitwiseEquals(gCopy));
        Assert.True(p.BitwiseEquals(pCopy));
        Assert.True(s.ToParams().BitwiseEquals(sCopy));
        var (u2, _) = opt.Update(grads, s, p);
        Assert.True(u1.BitwiseEquals(u2), "the same inputs gave different updates");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void StateRoundTripsThroughParams(string name)
    {
        var opt = ConvergenceTests.Make(name, Loss);
        var p = Initial();
        var s = opt.Init(p);
        for (var i = 0; i < 3; i++)
        {
            Params u;
            (u, s) = opt.Update(Grads(p), s, p);
            p = p.ApplyUpdates(u);
        }
        var back = OptState.FromParams(s.ToParams().Map(t => t.clone()), opt.Init(p));
        Assert.True(opt.Update(Grads(p), s, p).Updates.BitwiseEquals(opt.Update(Grads(p), back, p).Updates));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Float32ParametersGetFloat32UpdatesAndState(string name)
    {
        var opt = ConvergenceTests.Make(name, q => Loss(q.Map(t => t.to_type(float64))));
        var p = Initial().Map(t => t.to_type(float32));
        var s = opt.Init(p);
        var grads = Grads(Initial()).Map(t => t.to_type(float32));
        var (u, s1) = opt.Update(grads, s, p);
        Assert.All(u.Values, t => Assert.Equal(float32, t.dtype));
        Assert.All(s1.Slots.Where(kv => kv.Key != "weights_memory").SelectMany(kv => kv.Value.Values), t => Assert.Equal(float32, t.dtype));
        Assert.All(u.Values, t => Assert.True(t.isfinite().all().item<bool>()));
    }

    [Fact]
    public void NoisySgdIsReproducibleBySeedAndHasTheAnnealedVariance()
    {
        const double eta = 0.5, gamma = 0.55;
        var p = Params.Create([new("~/x", torch.zeros([20000], float64))]);
        var zero = p.ZerosLike();
        var a = Optimizers.NoisySgd(1.0, eta, gamma, seed: 7);
        var b = Optimizers.NoisySgd(1.0, eta, gamma, seed: 8);
        var (sa, sb) = (a.Init(p), b.Init(p));
        for (var t = 1; t <= 3; t++)
        {
            var (ua, nextA) = a.Update(zero, sa, p);
            var (again, _) = a.Update(zero, sa, p);
            var (ub, nextB) = b.Update(zero, sb, p);
            Assert.True(ua.BitwiseEquals(again));
            Assert.False(ua.BitwiseEquals(ub));
            var variance = ua["~/x"].var().item<double>();
            var expected = eta / Math.Pow(t, gamma);
            Assert.InRange(variance, expected * 0.95, expected * 1.05);
            Assert.InRange(ua["~/x"].mean().item<double>(), -0.02, 0.02);
            (sa, sb) = (nextA, nextB);
        }
    }

    [Fact]
    public void NoisySgdNoiseDiffersBetweenParameters()
    {
        var p = Params.Create([new("~/a", torch.zeros([4], float64)), new("~/b", torch.zeros([4], float64))]);
        var opt = Optimizers.NoisySgd(1.0);
        var (u, _) = opt.Update(p.ZerosLike(), opt.Init(p), p);
        Assert.False(u["~/a"].Equals(u["~/b"]));
    }

    [Fact]
    public void PolyakSpsPlusStopsWhenTheLossIsBelowTheBound()
    {
        var p = Params.Create([new("~/x", torch.tensor(new[] { 0.5 }, float64))]);
        var g = Params.Create([new("~/x", torch.tensor(new[] { 1.0 }, float64))]);
        var sps = Optimizers.PolyakSgd(_ => torch.tensor(1.0, float64), fMin: 2.0);
        var plus = Optimizers.PolyakSgd(_ => torch.tensor(1.0, float64), fMin: 2.0, variant: "sps+");
        Assert.Equal(1.0, sps.Update(g, sps.Init(p), p).Updates["~/x"].item<double>(), 12); // gap -1: a step uphill
        Assert.Equal(0.0, plus.Update(g, plus.Init(p), p).Updates["~/x"].item<double>(), 12);
    }

    [Fact]
    public void BadArgumentsAreClearErrors()
    {
        Assert.Throws<OptimizerConfigurationException>(() => Optimizers.Lbfgs(memorySize: 0));
        Assert.Contains("sps", Assert.Throws<OptimizerConfigurationException>(() => Optimizers.PolyakSgd(Loss, variant: "spz")).Message);
        Assert.Throws<OptimizerConfigurationException>(() => Optimizers.RmsProp(0.1, nesterov: true));
        Assert.Throws<OptimizerConfigurationException>(() => Optimizers.Sgd(0.1, nesterov: true));
        var p = Initial();
        foreach (var opt in new[] { Optimizers.Lamb(0.1), Optimizers.Lbfgs(), Optimizers.Fromage(0.1), Optimizers.Adafactor(), Optimizers.Lion(0.1) })
            Assert.Contains("parameters", Assert.ThrowsAny<MiniHaikuException>(() => opt.Update(p, opt.Init(p))).Message);
    }

    [Fact]
    public void PathMaskReadsBoolTensorsAndNamesWhatIsWrong()
    {
        var mask = Optimizers.PathMask(Params.Create([new("~/lin/w", torch.tensor(true)), new("~/lin/b", torch.tensor(false))]));
        Assert.True(mask("~/lin/w"));
        Assert.False(mask("~/lin/b"));
        Assert.Contains("~/other", Assert.ThrowsAny<MiniHaikuException>(() => mask("~/other")).Message);
        var e = Assert.ThrowsAny<MiniHaikuException>(() => Optimizers.PathMask(Params.Create([new("~/lin/w", torch.ones(2))])));
        Assert.Contains("~/lin/w", e.Message);
    }

    [Fact]
    public void AdamWMaskFromBoolTensorsEqualsThePredicate()
    {
        var p = Initial();
        var byTensor = Optimizers.AdamW(0.1, weightDecay: 0.5, mask: Optimizers.PathMask(Params.Create([new("~/lin/w", torch.tensor(true)), new("~/lin/b", torch.tensor(false))])));
        var byPath = Optimizers.AdamW(0.1, weightDecay: 0.5, mask: path => path == "~/lin/w");
        var noDecay = Optimizers.Adam(0.1);
        var g = Grads(p);
        var (u1, _) = byTensor.Update(g, byTensor.Init(p), p);
        var (u2, _) = byPath.Update(g, byPath.Init(p), p);
        var (u3, _) = noDecay.Update(g, noDecay.Init(p), p);
        Assert.True(u1.BitwiseEquals(u2));
        Assert.True(u1["~/lin/b"].allclose(u3["~/lin/b"], rtol: 1e-15, atol: 0));
        Assert.False(u1["~/lin/w"].allclose(u3["~/lin/w"]));
    }

    [Fact]
    public void AdafactorFactorsOnlyLargeEnoughTensors()
    {
        Assert.Null(Optimizers.FactoredDims([3, 2], factored: true, minDimSizeToFactor: 128));
        Assert.Null(Optimizers.FactoredDims([300, 200], factored: false, minDimSizeToFactor: 128));
        Assert.Null(Optimizers.FactoredDims([300], factored: true, minDimSizeToFactor: 128));
        Assert.Equal((1L, 0L), Optimizers.FactoredDims([300, 200], factored: true, minDimSizeToFactor: 128));
        Assert.Equal((2L, 0L), Optimizers.FactoredDims([400, 3, 200], factored: true, minDimSizeToFactor: 128));
        var p = Params.Create([new("~/w", torch.ones([4, 6], float64))]);
        var s = Optimizers.ScaleByFactoredRms(minDimSizeToFactor: 4).Init(p);
        Assert.Equal([4L], s.Slot("v_row")["~/w"].shape); // v_row drops the largest axis (6)
        Assert.Equal([6L], s.Slot("v_col")["~/w"].shape);
        Assert.Equal([1L], s.Slot("v")["~/w"].shape);
    }
}
