using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class MultiHeadAttentionTests
{
    private const string P = "~/MultiHeadAttention_0/__call__/";
    private const int Heads = 2, KeySize = 3, ValueSize = 2, ModelSize = 4;

    private static Transformed<(Tensor Q, Tensor K, Tensor V, Tensor? Mask, bool Causal), Tensor> Model() =>
        Hk.Transform(((Tensor Q, Tensor K, Tensor V, Tensor? Mask, bool Causal) i) =>
            MultiHeadAttention.Create(Heads, KeySize, ValueSize, ModelSize).Call(i.Q, i.K, i.V, i.Mask, i.Causal));

    private static Params RandomParams(Params p)
    {
        var seed = 100;
        return p.Map(t => Random(seed++, t.shape));
    }

    /// <summary>softmax(QKᵀ/√d)V per head, written out by hand with a loop over heads.</summary>
    private static Tensor ByHand(Params p, Tensor q, Tensor k, Tensor v, Tensor? mask)
    {
        Tensor Proj(Tensor x, string name) => x.matmul(p[P + name + "/__call__/w"]) + p[P + name + "/__call__/b"];
        var qp = Proj(q, "query");
        var kp = Proj(k, "key");
        var vp = Proj(v, "value");
        var heads = new List<Tensor>();
        for (var h = 0; h < Heads; h++)
        {
            var qh = qp[.., .., (h * KeySize)..((h + 1) * KeySize)];
            var kh = kp[.., .., (h * KeySize)..((h + 1) * KeySize)];
            var vh = vp[.., .., (h * ValueSize)..((h + 1) * ValueSize)];
            var logits = qh.matmul(kh.transpose(1, 2)) / Math.Sqrt(KeySize);
            if (mask is not null) logits = logits.masked_fill(mask.logical_not(), double.NegativeInfinity);
            var weights = torch.exp(logits - logits.amax([-1L], keepdim: true));
            weights = weights / weights.sum(-1, keepdim: true);
            heads.Add(weights.matmul(vh));
        }
        return torch.cat(heads, -1).matmul(p[P + "linear/__call__/w"]) + p[P + "linear/__call__/b"];
    }

    [Fact]
    public void ProjectionsAreNamedLikeHaiku()
    {
        var q = ones(2, 3, 5);
        var p = Model().Init(0, (q, ones(2, 4, 6), ones(2, 4, 7), null, false));
        Assert.Equal(
            $"{{'{P}key/__call__/b': (6,), '{P}key/__call__/w': (6, 6), '{P}linear/__call__/b': (4,), '{P}linear/__call__/w': (4, 4), " +
            $"'{P}query/__call__/b': (6,), '{P}query/__call__/w': (5, 6), '{P}value/__call__/b': (4,), '{P}value/__call__/w': (7, 4)}}",
            p.Shapes().ToString());
    }

    [Fact]
    public void MatchesHandWrittenSoftmaxAttention()
    {
        var q = Random(1, 2, 3, 5);
        var k = Random(2, 2, 4, 6);
        var v = Random(3, 2, 4, 7);
        var f = Model();
        var p = RandomParams(f.Init(0, (q, k, v, null, false)));
        var y = f.Apply(p, (q, k, v, null, false));
        Assert.Equal([2L, 3, ModelSize], y.shape);
        AssertClose(ByHand(p, q, k, v, null), y);
    }

    [Fact]
    public void MaskAndCausalMatchHandWrittenMasking()
    {
        var x = Random(4, 2, 4, 5);
        var f = Model();
        var p = RandomParams(f.Init(0, (x, x, x, null, false)));
        var mask = torch.tensor(new[] { true, false, true, true, true, true, false, true }).reshape(2, 1, 1, 4);
        var byHandMask = mask.squeeze(1);   // [2, 1, 4] broadcast over query positions
        AssertClose(ByHand(p, x, x, x, byHandMask), f.Apply(p, (x, x, x, mask, false)));

        var lower = torch.ones(4, 4, dtype: ScalarType.Bool).tril();
        AssertClose(ByHand(p, x, x, x, lower), f.Apply(p, (x, x, x, null, true)));
        AssertClose(ByHand(p, x, x, x, lower.logical_and(byHandMask)), f.Apply(p, (x, x, x, mask, true)));
    }

    [Fact]
    public void MatchesTorchMultiheadAttentionWithPackedProjections()
    {
        const int width = 6, heads = 2;
        var x = Random(11, 2, 4, width);
        var f = Hk.Transform((Tensor v) => MultiHeadAttention.Create(heads, width / heads).Call(v, causal: true));
        var seed = 200;
        var p = f.Init(0, x).Map(t => Random(seed++, t.shape));
        Tensor W(string name) => p[P + name + "/__call__/w"];
        Tensor Bias(string name) => p[P + name + "/__call__/b"];
        using var mha = nn.MultiheadAttention(width, heads);
        mha.to(ScalarType.Float64);
        var tp = mha.named_parameters().ToDictionary(np => np.name, np => np.parameter);
        using (no_grad())
        {
            tp["in_proj_weight"].copy_(torch.cat([W("query").t(), W("key").t(), W("value").t()], 0));
            tp["in_proj_bias"].copy_(torch.cat([Bias("query"), Bias("key"), Bias("value")], 0));
            tp["out_proj.weight"].copy_(W("linear").t());
            tp["out_proj.bias"].copy_(Bias("linear"));
        }
        // An additive float mask for torch: −∞ above the diagonal (later positions), 0 elsewhere.
        var forbidden = torch.full(4, 4, double.NegativeInfinity, dtype: ScalarType.Float64).triu(1);
        var seqFirst = x.transpose(0, 1);
        var (expected, _) = mha.forward(seqFirst, seqFirst, seqFirst, null!, false, forbidden);
        AssertClose(expected.transpose(0, 1), f.Apply(p, x));
    }

    // causal alone runs libtorch's is_causal kernel; its pattern must be the top-left aligned lower triangle of
    // [T_query, T_key] also when the lengths differ (cross-attention), as the mask Haiku-style code would build.
    [Theory]
    [InlineData(3, 5)]
    [InlineData(5, 3)]
    [InlineData(4, 4)]
    public void CausalCrossAttentionMatchesTheLowerTriangleOfQueryByKey(int tq, int tk)
    {
        var q = Random(40, 2, tq, 5);
        var kv = Random(41, 2, tk, 6);
        var f = Model();
        var p = RandomParams(f.Init(0, (q, kv, kv, null, false)));
        var lower = torch.ones(tq, tk, dtype: ScalarType.Bool).tril();
        AssertClose(ByHand(p, q, kv, kv, lower), f.Apply(p, (q, kv, kv, null, true)));
        AssertClose(f.Apply(p, (q, kv, kv, lower, false)), f.Apply(p, (q, kv, kv, null, true)));
    }

    [Fact]
    public void CausalGradientsMatchFiniteDifferences()
    {
        var x = Random(42, 1, 4, 5);
        var f = Model();
        var p = RandomParams(f.Init(0, (x, x, x, null, true)));
        var r = Random(43, 1, 4, ModelSize);
        AssertMatchesFiniteDifferences(p, w => (f.Apply(w, (x, x, x, null, true)) * r).sum(), maxElements: 4);
    }

    [Fact]
    public void AQueryRowThatMayAttendToNothingAveragesTheValues()
    {
        var x = Random(44, 1, 3, 5);
        var f = Model();
        var p = RandomParams(f.Init(0, (x, x, x, null, false)));
        // Row 0 may attend to nothing: Haiku's -1e30 rule gives it uniform weights, not NaN.
        var mask = torch.tensor(new[] { false, false, false, true, true, true, true, true, true }).reshape(3, 3);
        var y = f.Apply(p, (x, x, x, mask, false));
        Assert.False(y.isnan().any().item<bool>());
        // Uniform weights: every head averages its values, so the row is mean(values)·w_linear + b_linear.
        var values = x.matmul(p[P + "value/__call__/w"]) + p[P + "value/__call__/b"];
        var averaged = values.mean([1L]).matmul(p[P + "linear/__call__/w"]) + p[P + "linear/__call__/b"];
        AssertClose(averaged, y[.., 0]);
        // With causal too, the blocked row still averages all the values (later ones included), as in Haiku.
        AssertClose(averaged, f.Apply(p, (x, x, x, mask, true))[.., 0]);
    }

    [Fact]
    public void CausalOutputsDoNotDependOnLaterPositions()
    {
        var x = Random(5, 1, 5, 5);
        var changed = x.clone();
        changed[0, 4] = Random(6, 5);
        var f = Model();
        var p = f.Init(0, (x, x, x, null, true));
        var a = f.Apply(p, (x, x, x, null, true));
        var b = f.Apply(p, (changed, changed, changed, null, true));
        AssertClose(a[.., ..4], b[.., ..4]);
        Assert.False(a[.., 4].allclose(b[.., 4]));
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var q = Random(7, 1, 3, 5);
        var kv = Random(8, 1, 2, 5);
        var f = Model();
        var p = RandomParams(f.Init(0, (q, kv, kv, null, false)));
        var r = Random(9, 1, 3, ModelSize);
        AssertMatchesFiniteDifferences(p, w => (f.Apply(w, (q, kv, kv, null, false)) * r).sum(), maxElements: 4);
    }

    [Fact]
    public void SelfAttentionDefaultsKeyAndValueToTheQuery()
    {
        var x = Random(10, 2, 3, 5);
        var self = Hk.Transform((Tensor v) => MultiHeadAttention.Create(Heads, KeySize, ValueSize, ModelSize).Call(v));
        var p = RandomParams(self.Init(0, x));
        AssertClose(Model().Apply(p, (x, x, x, null, false)), self.Apply(p, x));
    }

    [Fact]
    public void BadInputsAreExplained()
    {
        var f = Model();
        Assert.Throws<LayerInputException>(() => f.Init(0, (ones(2, 3, 5), ones(2, 4, 5), ones(2, 3, 5), null, false)));
        Assert.Throws<LayerInputException>(() => f.Init(0, (ones(2, 3, 5), ones(2, 3, 5), ones(2, 3, 5), ones(3, 3), false)));
        Assert.Throws<LayerConfigurationException>(() => MultiHeadAttention.Create(0, 4));
    }
}
