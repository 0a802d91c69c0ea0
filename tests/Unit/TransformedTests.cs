using MiniHaiku.Tests.Support;

namespace MiniHaiku.Tests;

/// <summary>Transformed.Init/Apply: the unused-parameter check, RNG overloads, purity and concurrency.</summary>
public class TransformedTests
{
    private static readonly Transformed<Tensor, Tensor> Mlp =
        Hk.Transform((Tensor x) => from m in MLP.Create([4, 3]) from y in m.Call(x) select y);

    [Fact]
    public void UnusedParametersAreAnErrorByDefaultAndNameTheKeys()
    {
        var p = Mlp.Init(0, ones(2, 3)).With("~/Other_0/__call__/W", ones(3));
        var e = Assert.Throws<UnusedParametersException>(() => Mlp.Apply(p, ones(2, 3)));
        Assert.Equal(["~/Other_0/__call__/W"], e.Unused);
        Assert.Equal("Apply was given 5 parameters but the model never read 1 of them: '~/Other_0/__call__/W'. " +
                     "They probably come from a different model (e.g. a checkpoint of another architecture). " +
                     "If this is intended, call transformed.AllowUnusedParams().", e.Message);
    }

    [Fact]
    public void UnusedParametersMessageListsAtMostEightPaths()
    {
        var p = Mlp.Init(0, ones(2, 3));
        for (var i = 0; i < 10; i++) p = p.With($"~/extra_{i}", ones(1));
        var e = Assert.Throws<UnusedParametersException>(() => Mlp.Apply(p, ones(2, 3)));
        Assert.Equal(10, e.Unused.Count);
        Assert.EndsWith("'~/extra_7', …. They probably come from a different model (e.g. a checkpoint of another architecture). If this is intended, call transformed.AllowUnusedParams().", e.Message);
    }

    [Fact]
    public void AllowUnusedParamsAcceptsAnExtraParameterAndGivesTheSameOutput()
    {
        var exact = Mlp.Init(0, ones(2, 3));
        var p = exact.With("~/Other_0/__call__/W", ones(3));
        var relaxed = Mlp.AllowUnusedParams();
        Assert.True(relaxed.UnusedParamsAllowed);
        Assert.False(Mlp.UnusedParamsAllowed);
        Assert.True(relaxed.Apply(p, ones(2, 3)).Equals(Mlp.Apply(exact, ones(2, 3))));
    }

    [Fact]
    public void ACheckpointOfAnotherArchitectureIsCaughtEvenWhenItContainsEveryNeededKey()
    {
        var bigger = Hk.Transform((Tensor x) => from m in MLP.Create([4, 3, 2]) from y in m.Call(x) select y);
        var p = bigger.Init(0, ones(2, 3));
        var e = Assert.Throws<UnusedParametersException>(() => Mlp.Apply(p, ones(2, 3)));
        Assert.Equal(["~/MLP_0/__call__/Linear_2/__call__/W", "~/MLP_0/__call__/Linear_2/__call__/b"], e.Unused);
    }

    [Fact]
    public void InitAndApplyAreDeterministicAndApplyDoesNotMutateItsInputs()
    {
        var x = torch.randn(2, 3, generator: new torch.Generator(1));
        var p = Mlp.Init(9, x);
        Assert.True(p.BitwiseEquals(Mlp.Init(9, x)));
        Assert.True(p.BitwiseEquals(Mlp.Init(RngKey.FromSeed(9), x)));
        var copy = p.Map(t => t.clone());
        var xCopy = x.clone();
        var y1 = Mlp.Apply(p, x);
        var y2 = Mlp.Apply(p, x);
        Assert.True(y1.Equals(y2));
        Assert.True(p.BitwiseEquals(copy));
        Assert.True(x.Equals(xCopy));
    }

    [Fact]
    public void ConcurrentApplyFromEightThreadsEqualsSequential()
    {
        // SafeLinear: TorchSharp's own `a + b` can fail under concurrent GC (see SafeOps); that is not what is tested here.
        var model = Hk.Transform((Tensor x) => Hk.Aggregate(new[] { 4, 3 }, x, (h, width) =>
            from l in SafeLinear.Create(width) from y in l.Call(h) select y.sigmoid()));
        var inputs = Enumerable.Range(0, 8).Select(i => torch.randn(4, 3, generator: new torch.Generator((ulong)i + 1))).ToArray();
        var p = model.Init(3, inputs[0]);
        var sequential = inputs.Select(x => model.Apply(p, x)).ToArray();
        var parallel = new Tensor[8, 50];
        p = p.Map(t => t); // a fresh map: its lookup index is built by whichever thread gets there first
        using var start = new Barrier(8);
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (var r = 0; r < 50; r++) parallel[t, r] = model.Apply(p, inputs[(t + r) % 8]);
        })).ToArray();
        foreach (var th in threads) th.Start();
        foreach (var th in threads) th.Join();
        for (var t = 0; t < 8; t++)
            for (var r = 0; r < 50; r++)
                Assert.True(parallel[t, r].Equals(sequential[(t + r) % 8]), $"thread {t} run {r}");
    }

    [Fact]
    public void ApplyWithSeedOrKeyGivesTheSameKeySequence()
    {
        var f = Hk.Transform((int _) => Hk.NextRngKey());
        Assert.Equal(f.Apply(Params.Empty, 0, 5L), f.Apply(Params.Empty, 0, RngKey.FromSeed(5)));
        Assert.NotEqual(f.Apply(Params.Empty, 0, 5L), f.Apply(Params.Empty, 0, 6L));
        // Init draws from the seed's key sequence too: a model seeded with s draws the same keys in Init and Apply(s).
        var seen = new List<RngKey>();
        var g = Hk.Transform((int _) => Hk.NextRngKey().Select(k => { seen.Add(k); return k; }));
        g.Init(5, 0);
        Assert.Equal(seen[0], g.Apply(Params.Empty, 0, 5L));
    }

    [Fact]
    public void FunctionIsTheOriginalModelFunction()
    {
        Func<int, Model<int>> fn = i => Hk.Pure(i + 1);
        Assert.Same(fn, Hk.Transform(fn).Function);
        Assert.Same(fn, Hk.Transform(fn).AllowUnusedParams().Function);
    }
}
