namespace MiniHaiku.Tests;

/// <summary>Hk.NextRngKeys, Hk.WithRng, PrngSequence and the keyed Sampling helpers.</summary>
public class HkRngSamplingTests
{
    [Fact]
    public void NextRngKeysEqualsThatManyNextRngKeyCalls()
    {
        var many = Hk.Transform((int n) => Hk.NextRngKeys(n));
        var one = Hk.Transform((int _) =>
            from a in Hk.NextRngKey() from b in Hk.NextRngKey() from c in Hk.NextRngKey() select new[] { a, b, c });
        Assert.Equal(one.Apply(Params.Empty, 0, 7), many.Apply(Params.Empty, 3, 7).ToArray());
        Assert.Empty(many.Apply(Params.Empty, 0));
        Assert.Throws<MissingRngException>(() => many.Apply(Params.Empty, 2));
        Assert.Throws<ModelUsageException>(() => Hk.NextRngKeys(-1));
    }

    [Fact]
    public void WithRngGivesTheBodyItsOwnSequenceAndLeavesTheOuterOneAlone()
    {
        var key = RngKey.FromSeed(42);
        var f = Hk.Transform((int _) =>
            from inner in Hk.WithRng(key, Hk.NextRngKey())
            from outer in Hk.NextRngKey()
            select (inner, outer));
        var plain = Hk.Transform((int _) => Hk.NextRngKey());
        var (inner, outer) = f.Apply(Params.Empty, 0, 1);
        Assert.Equal(new PrngSequence(key).Next().Key, inner);
        Assert.Equal(plain.Apply(Params.Empty, 0, 1), outer);
        // WithRng(null) makes the body keyless even when the caller passed a key.
        var none = Hk.Transform((int _) => Hk.WithRng(null, Hk.MaybeNextRngKey()));
        Assert.Null(none.Apply(Params.Empty, 0, 1));
    }

    [Fact]
    public void PrngSequenceIsImmutableAndRepeatable()
    {
        var seq = PrngSequence.FromSeed(3);
        var (k1, rest) = seq.Next();
        Assert.Equal(k1, seq.Next().Key);
        Assert.NotEqual(k1, rest.Next().Key);
        var (keys, after) = seq.Take(3);
        Assert.Equal(keys.ToArray(), seq.Take(3).Keys.ToArray());
        Assert.Equal(keys.ToArray(), seq.AsEnumerable().Take(3).ToArray());
        Assert.Equal(after.Next().Key, seq.Skip(3).First());
        Assert.Equal(3, keys.Distinct().Count());
    }

    [Fact]
    public void SamplersAreDeterministicPerKeyAndHaveTheRightMoments()
    {
        var key = RngKey.FromSeed(9);
        var n = key.Normal([20000]);
        Assert.True(n.Equals(key.Normal([20000])));
        Assert.False(n.Equals(key.Fold(1).Normal([20000])));
        Assert.InRange(n.mean().item<float>(), -0.03, 0.03);
        Assert.InRange(n.std().item<float>(), 0.97, 1.03);

        var u = key.Uniform([20000], -2, 4);
        Assert.True(u.min().item<float>() >= -2 && u.max().item<float>() < 4);
        Assert.InRange(u.mean().item<float>(), 0.95, 1.05);

        var b = key.Bernoulli(0.25, [20000]);
        Assert.Equal(ScalarType.Bool, b.dtype);
        Assert.InRange(b.to_type(ScalarType.Float32).mean().item<float>(), 0.23, 0.27);

        var logits = torch.tensor(new[] { 0f, (float)Math.Log(3) }).expand(20000, 2);
        var c = key.Categorical(logits);
        Assert.Equal([20000L], c.shape);
        Assert.InRange(c.to_type(ScalarType.Float32).mean().item<float>(), 0.73, 0.77);
        Assert.True(c.Equals(key.Categorical(logits)));

        var m = key.Multinomial(torch.tensor(new[] { 1f, 0f, 3f }), 4000);
        Assert.Equal(0, (m == 1).sum().item<long>());
        Assert.InRange((m == 2).to_type(ScalarType.Float32).mean().item<float>(), 0.72, 0.78);
        var noReplacement = key.Multinomial(torch.tensor(new[] { 1f, 1f, 1f }), 3, replacement: false);
        Assert.Equal(new long[] { 0, 1, 2 }, noReplacement.sort().Values.data<long>().ToArray());
    }

    [Fact]
    public void SamplersRejectBadArguments()
    {
        var key = RngKey.FromSeed(0);
        Assert.Equal("Sampling.Bernoulli needs a probability in [0, 1], got 1.5.", Assert.Throws<ModelUsageException>(() => key.Bernoulli(1.5, [2])).Message);
        Assert.Throws<ModelUsageException>(() => key.Normal([2], ScalarType.Int32));
        Assert.Throws<ModelUsageException>(() => key.Uniform([2], 1, 1));
        Assert.Throws<ModelUsageException>(() => key.Categorical(torch.zeros(new long[] { 2, 0 })));
        Assert.Equal("Sampling.Multinomial needs finite, non-negative weights with a positive sum in every row.",
            Assert.Throws<ModelUsageException>(() => key.Multinomial(torch.tensor(new[] { 1f, -1f }), 1)).Message);
        Assert.Throws<ModelUsageException>(() => key.Multinomial(torch.tensor(new[] { 1f, 1f }), 3, replacement: false));
    }
}
