using MiniHaiku.Layers;

namespace MiniHaiku.Tests.Layers;

/// <summary><c>Hk.Multinomial</c> (Haiku's <c>hk.multinomial</c>) and <c>Hk.OneHot</c> (<c>hk.one_hot</c>).</summary>
public class MultinomialTests
{
    [Fact]
    public void SamplesHaveHaikusShapeAndFollowTheSoftmax()
    {
        var logits = tensor(new[] { 0.0, Math.Log(3), double.NegativeInfinity }, dtype: ScalarType.Float64).expand(2, 3, 3);
        var samples = Hk.Multinomial(RngKey.FromSeed(1), logits, 2000);
        Assert.Equal([2L, 3, 2000], samples.shape);
        Assert.Equal(ScalarType.Int64, samples.dtype);
        Assert.Equal(0, samples.eq(2).sum().item<long>());                     // −∞: never drawn
        var ones = samples.eq(1).to_type(ScalarType.Float64).mean().item<double>();
        Assert.InRange(ones, 0.73, 0.77);                                      // p = 3/4; 12000 draws, sd ≈ 0.004
        Assert.Equal([4L, 1], Hk.Multinomial(RngKey.FromSeed(1), zeros(4, 5), 1).shape);
    }

    [Fact]
    public void TheKeyDeterminesTheDraws()
    {
        var logits = zeros(3, 10);
        Assert.True(Hk.Multinomial(RngKey.FromSeed(2), logits, 5).Equals(Hk.Multinomial(RngKey.FromSeed(2), logits, 5)));
        Assert.False(Hk.Multinomial(RngKey.FromSeed(2), logits, 50).Equals(Hk.Multinomial(RngKey.FromSeed(3), logits, 50)));
        var f = Hk.Transform((Tensor l) => Hk.Multinomial(l, 4));
        Assert.True(f.Apply(Params.Empty, logits, seed: 5).Equals(f.Apply(Params.Empty, logits, seed: 5)));
        Assert.Throws<MissingRngException>(() => f.Apply(Params.Empty, logits));
    }

    [Fact]
    public void BadLogitsAreExplained()
    {
        Assert.Contains("floating-point logits", Assert.Throws<LayerInputException>(() => Hk.Multinomial(RngKey.FromSeed(0), ones(2, 3, dtype: ScalarType.Int64), 1)).Message);
        Assert.Contains("finite logit", Assert.Throws<LayerInputException>(() =>
            Hk.Multinomial(RngKey.FromSeed(0), full(2, 3, double.NegativeInfinity), 1)).Message);
        Assert.Throws<LayerConfigurationException>(() => Hk.Multinomial(RngKey.FromSeed(0), zeros(3), 0));
    }

    [Fact]
    public void OneHotIsHaikusOneHot()
    {
        var hot = Hk.OneHot(tensor(new long[] { 2, 0 }), 3, ScalarType.Float64);
        Assert.True(hot.Equals(tensor(new double[,] { { 0, 0, 1 }, { 1, 0, 0 } })));
        Assert.Throws<LayerInputException>(() => Hk.OneHot(tensor(new long[] { 3 }), 3));
    }
}
