using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

/// <summary><c>Embed</c> from a given embedding matrix, and its lookup styles.</summary>
public class EmbedLookupStyleTests
{
    private const string E = "~/Embed_0/__call__/embeddings";

    [Fact]
    public void AGivenMatrixIsCopiedIntoTheTableAndMatchesTorchEmbedding()
    {
        var matrix = Random(1, 5, 3);
        var ids = tensor(new long[,] { { 4, 0, 2 }, { 1, 1, 3 } });
        var f = Hk.Transform((Tensor v) => Embed.Create(matrix).Call(v));
        var p = f.Init(0, ids);
        Assert.Equal($"{{'{E}': (5, 3)}}", p.Shapes().ToString());
        Assert.True(p[E].Equals(matrix));
        Assert.False(ReferenceEquals(p[E], matrix), "the parameter must be a copy");
        using var torchEmbedding = nn.Embedding_from_pretrained(matrix);
        AssertClose(torchEmbedding.forward(ids), f.Apply(p, ids));
        // The table is a parameter: a trained value replaces the initial matrix.
        var trained = Random(2, 5, 3);
        AssertClose(trained.index_select(0, ids.reshape(-1)).reshape(2, 3, 3), f.Apply(p.With(E, trained), ids));
    }

    [Fact]
    public void OneHotLookupEqualsArrayIndex()
    {
        var ids = tensor(new long[] { 3, 0, 3, 2 });
        var index = Hk.Transform((Tensor v) => Embed.Create(4, 6, dtype: ScalarType.Float64).Call(v));
        var oneHot = Hk.Transform((Tensor v) => Embed.Create(4, 6, dtype: ScalarType.Float64, lookupStyle: EmbedLookupStyle.OneHot).Call(v));
        var p = index.Init(0, ids);
        Assert.Equal(p.Shapes().ToString(), oneHot.Init(0, ids).Shapes().ToString());
        AssertClose(index.Apply(p, ids), oneHot.Apply(p, ids));
        var fromMatrix = Hk.Transform((Tensor v) => Embed.Create(p[E], EmbedLookupStyle.OneHot).Call(v));
        AssertClose(index.Apply(p, ids), fromMatrix.Apply(p, ids));
    }

    [Fact]
    public void GradientsMatchFiniteDifferencesForBothStyles()
    {
        var ids = tensor(new long[] { 1, 2, 1 });
        foreach (var style in new[] { EmbedLookupStyle.ArrayIndex, EmbedLookupStyle.OneHot })
        {
            var f = Hk.Transform((Tensor v) => Embed.Create(Random(3, 3, 2), style).Call(v));
            var p = f.Init(0, ids);
            var r = Random(4, 3, 2);
            AssertMatchesFiniteDifferences(p, q => (f.Apply(q, ids) * r).sum().square());
        }
    }

    [Fact]
    public void BadMatricesAreExplained()
    {
        Assert.Contains("got shape (3,)", Assert.Throws<LayerConfigurationException>(() => Embed.Create(ones(3))).Message);
        Assert.Contains("dtype Int64", Assert.Throws<LayerConfigurationException>(() => Embed.Create(ones(2, 2, dtype: ScalarType.Int64))).Message);
    }
}
