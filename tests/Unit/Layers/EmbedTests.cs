using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class EmbedTests
{
    private const string E = "~/Embed_0/__call__/embeddings";

    [Fact]
    public void TableIsNamedEmbeddingsWithVocabByDim()
    {
        var p = Hk.Transform((Tensor ids) => Embed.Create(10, 4).Call(ids)).Init(0, torch.tensor(new long[] { 1, 2 }));
        Assert.Equal($"{{'{E}': (10, 4)}}", p.Shapes().ToString());
        var std = Hk.Transform((Tensor ids) => Embed.Create(500, 100).Call(ids)).Init(0, torch.tensor(new long[] { 1 }))[E].std().item<float>();
        Assert.InRange(std, Initializers.TruncatedNormalStddev * 0.97, Initializers.TruncatedNormalStddev * 1.03);
    }

    [Fact]
    public void LooksUpRowsLikeTorchEmbedding()
    {
        var ids = torch.tensor(new long[] { 3, 0, 3, 9, 5, 1 }).reshape(2, 3);
        var f = Hk.Transform((Tensor v) => Embed.Create(10, 4, dtype: ScalarType.Float64).Call(v));
        var p = f.Init(1, ids);
        using var emb = nn.Embedding(10, 4, dtype: ScalarType.Float64);
        using (no_grad()) emb.weight!.copy_(p[E]);
        var y = f.Apply(p, ids);
        Assert.Equal([2L, 3, 4], y.shape);
        AssertClose(emb.forward(ids), y);
        AssertClose(p[E][9], y[1, 0]);
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var ids = torch.tensor(new long[] { 1, 2, 2, 0 });
        var f = Hk.Transform((Tensor v) => Embed.Create(3, 2, dtype: ScalarType.Float64).Call(v));
        var r = Random(2, 4, 2);
        AssertMatchesFiniteDifferences(f.Init(0, ids), q => (f.Apply(q, ids) * r).sum());
    }

    // The lookup indexes the table with the ids; a byte tensor used as an index would be a boolean mask in libtorch,
    // so ids of every integer dtype must pick the same rows as Int64 ids.
    [Theory]
    [InlineData(ScalarType.Byte)]
    [InlineData(ScalarType.Int8)]
    [InlineData(ScalarType.Int16)]
    [InlineData(ScalarType.Int32)]
    public void IdsOfEveryIntegerDtypePickTheSameRows(ScalarType dtype)
    {
        var ids = torch.tensor(new long[] { 1, 2, 2, 0, 1, 1 }).reshape(2, 3);
        var f = Hk.Transform((Tensor v) => Embed.Create(3, 4).Call(v));
        var p = f.Init(0, ids);
        var expected = f.Apply(p, ids);
        Assert.Equal([2L, 3, 4], expected.shape);
        AssertClose(p[E][2], expected[0, 1], rtol: 0, atol: 0);
        AssertClose(expected, f.Apply(p, ids.to_type(dtype)), rtol: 0, atol: 0);
    }

    [Fact]
    public void BadIdsAreExplained()
    {
        var f = Hk.Transform((Tensor v) => Embed.Create(3, 2).Call(v));
        Assert.Contains("[0, 3)", Assert.Throws<LayerInputException>(() => f.Init(0, torch.tensor(new long[] { 3 }))).Message);
        Assert.Throws<LayerInputException>(() => f.Init(0, torch.tensor(new long[] { -1 })));
        Assert.Throws<LayerInputException>(() => f.Init(0, torch.tensor(new float[] { 1 })));
    }
}
