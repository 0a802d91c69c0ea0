using FsCheck;
using FsCheck.Xunit;
using MiniHaiku.Tests.Properties.Support;

namespace MiniHaiku.Tests.Properties;

/// <summary>Randomness is a pure function of the key: same key same draws, different keys different draws.</summary>
[Properties(MaxTest = 100)]
public class RngProperties
{
    private static readonly Transformed<long, Tensor> Noisy = Hk.Transform((long n) =>
        from w in Hk.GetParam("w", [4])
        from k1 in Hk.NextRngKey()
        from k2 in Hk.NextRngKey()
        select w.Plus(Draw(k1, n).mul(Draw(k2, n))));

    private static Tensor Draw(RngKey key, long n)
    {
        using var g = key.CreateGenerator();
        return torch.randn([4], generator: g).Plus(torch.tensor((float)n));
    }

    [Property]
    public void SameKeySameDrawsDifferentKeysDifferentDraws(ulong hi, ulong lo, ulong hi2, ulong lo2)
    {
        var a = new RngKey(hi, lo);
        var b = new RngKey(hi2, lo2);
        var p = Noisy.Init(a, 0);
        Assert.True(p.BitwiseEquals(Noisy.Init(a, 0)));
        Assert.True(Noisy.Apply(p, 0, a).Equals(Noisy.Apply(p, 0, a)));
        if (a != b)
        {
            Assert.False(p.BitwiseEquals(Noisy.Init(b, 0)));
            Assert.False(Noisy.Apply(p, 0, a).Equals(Noisy.Apply(p, 0, b)));
        }
    }

    [Property]
    public void SplitAndFoldAreDeterministicAndDistinct(ulong hi, ulong lo, NonEmptyString data, PositiveInt countArg)
    {
        var key = new RngKey(hi, lo);
        var count = Math.Min(countArg.Get, 64);
        var keys = key.Split(count);
        Assert.Equal(keys, key.Split(count));
        Assert.Equal(count + 1, keys.Append(key).Distinct().Count());
        Assert.Equal(key.Fold(data.Get), key.Fold(data.Get));
        Assert.NotEqual(key.Fold(data.Get), key.Fold(data.Get + "x"));
        Assert.NotEqual(key, key.Fold(data.Get));
        var (next, use) = key.Split();
        Assert.NotEqual(next, use);
    }

    [Property]
    public void NextRngKeyNeverRepeatsWithinARun(long seed, PositiveInt countArg)
    {
        var count = Math.Min(countArg.Get, 200);
        var keys = Hk.Repeat(count, (_, acc) => Hk.NextRngKey().Select(acc.Add), System.Collections.Immutable.ImmutableList<RngKey>.Empty);
        var (drawn, _) = keys.Run(Frame.ForApply(Params.Empty, rng: RngKey.FromSeed(seed)));
        Assert.Equal(count, drawn.Distinct().Count());
        var (again, _) = keys.Run(Frame.ForApply(Params.Empty, rng: RngKey.FromSeed(seed)));
        Assert.Equal(drawn, again);
    }
}
