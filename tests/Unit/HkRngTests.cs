namespace MiniHaiku.Tests;

/// <summary>Hk.NextRngKey / Hk.MaybeNextRngKey.</summary>
public class HkRngTests
{
    private static readonly Transformed<int, Tensor> Dropoutish = Hk.Transform((int n) =>
        from s in Hk.CurrentScope()
        from k in Hk.NextRngKey()
        select Draw(k, n));

    private static Tensor Draw(RngKey key, int n)
    {
        using var g = key.CreateGenerator();
        return torch.rand([n], generator: g);
    }

    [Fact]
    public void NextRngKeyWithoutASeedInApplyIsMissingRngAndSaysHowToPassOne()
    {
        var e = Assert.Throws<MissingRngException>(() => Dropoutish.Apply(Params.Empty, 3));
        Assert.Equal("~", e.Scope);
        Assert.Equal("The model asked for a random key (Hk.NextRngKey) in scope '~', but Apply was called without one. " +
                     "Pass a seed or RngKey: transformed.Apply(params, input, seed) — or use Hk.MaybeNextRngKey() where randomness is optional.",
            e.Message);
    }

    [Fact]
    public void MissingRngNamesTheModuleScope()
    {
        var f = Hk.Transform((Tensor x) => from m in Hk.Module(n => new Noisy(n)) from y in m.Call(x) select y);
        var e = Assert.Throws<MissingRngException>(() => f.Apply(Params.Empty, ones(2)));
        Assert.Equal("~/Noisy_0/__call__", e.Scope);
        Assert.True(f.Apply(Params.Empty, ones(2), 1L).Equals(f.Apply(Params.Empty, ones(2), 1L)));
    }

    private sealed record Noisy(ModuleName Name) : Module(Name)
    {
        public Model<Tensor> Call(Tensor x) => Method(Hk.NextRngKey().Select(k => x + Draw(k, (int)x.shape[0])));
    }

    [Fact]
    public void SameSeedSameDrawsDifferentSeedsDifferentDraws()
    {
        Assert.True(Dropoutish.Apply(Params.Empty, 100, 1L).Equals(Dropoutish.Apply(Params.Empty, 100, 1L)));
        Assert.False(Dropoutish.Apply(Params.Empty, 100, 1L).Equals(Dropoutish.Apply(Params.Empty, 100, 2L)));
    }

    [Fact]
    public void SuccessiveKeysInOneRunDiffer()
    {
        var f = Hk.Transform((int _) => from a in Hk.NextRngKey() from b in Hk.NextRngKey() from c in Hk.MaybeNextRngKey() select (a, b, c));
        var (a, b, c) = f.Apply(Params.Empty, 0, 3L);
        Assert.NotEqual(a, b);
        Assert.NotNull(c);
        Assert.NotEqual(b, c!.Value);
        Assert.NotEqual(a, c!.Value);
    }

    [Fact]
    public void MaybeNextRngKeyIsNullWithoutAKeyAndAKeyWithOne()
    {
        var f = Hk.Transform((int _) => Hk.MaybeNextRngKey());
        Assert.Null(f.Apply(Params.Empty, 0));
        Assert.NotNull(f.Apply(Params.Empty, 0, 1L));
        Assert.NotNull(Hk.MaybeNextRngKey().Run(Frame.ForInit(0)).Value); // Init always has a key
        Assert.Equal(f.Apply(Params.Empty, 0, 4L), Hk.NextRngKey().Run(Frame.ForApply(Params.Empty, rng: RngKey.FromSeed(4))).Value);
    }

}

/// <summary>Runs alone: it observes torch's process-wide generator.</summary>
[CollectionDefinition(nameof(GlobalTorchRngTests), DisableParallelization = true)]
[Collection(nameof(GlobalTorchRngTests))]
public class GlobalTorchRngTests
{
    [Fact]
    public void TheLibraryNeverTouchesTorchsGlobalGenerator()
    {
        torch.manual_seed(1234);
        var expected = torch.rand(5);
        torch.manual_seed(1234);
        var f = Hk.Transform((int _) => from w in Hk.GetParam("w", [100]) from t in Hk.GetParam("t", [10, 10], Initializers.Orthogonal()) from k in Hk.NextRngKey() select w);
        var p = f.Init(0, 0);
        f.Apply(p, 0, 1L);
        Assert.True(torch.rand(5).Equals(expected));
    }
}
