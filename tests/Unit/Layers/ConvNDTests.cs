using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class ConvNDTests
{
    private const string W = "~/ConvND_0/__call__/w";
    private const string B = "~/ConvND_0/__call__/b";

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void EqualsTheFixedRankFrontEnd(int n)
    {
        long[] spatial = [5, 4, 3];
        var x = Random(1, [2, .. spatial[..n], 3]);
        var general = Hk.Transform((Tensor v) => ConvND.Create(n, 4, [3], [2], Pad.Same, [1]).Call(v));
        var p = general.Init(0, x).With(B, Random(2, 4));
        Assert.Equal([3L, .. Enumerable.Repeat(3L, n - 1), 3, 4], p[W].shape);
        Func<Tensor, Model<Tensor>> front = n switch
        {
            1 => v => Conv1D.Create(4, 3, 2).Call(v),
            2 => v => Conv2D.Create(4, 3, 2).Call(v),
            _ => v => Conv3D.Create(4, 3, 2).Call(v),
        };
        var fixedRank = Hk.Transform(front);
        var layer = $"Conv{n}D_0";
        var q = Params.Create([KeyValuePair.Create($"~/{layer}/__call__/w", p[W]), KeyValuePair.Create($"~/{layer}/__call__/b", p[B])]);
        Assert.Equal(fixedRank.Init(0, x).Shapes().ToString(), q.Shapes().ToString());
        AssertClose(fixedRank.Apply(q, x), general.Apply(p, x));
    }

    [Fact]
    public void MatchesTorchConv2dWithGroupsChannelsFirst()
    {
        var x = Random(3, 1, 4, 5, 5);
        using var conv = nn.Conv2d(4, 6, 3, stride: 1, padding: 2, dilation: 2, groups: 2, dtype: ScalarType.Float64);
        var f = Hk.Transform((Tensor v) => ConvND.Create(2, 6, [3], padding: Pad.Same, dilation: [2], groups: 2, dataFormat: DataFormat.ChannelsFirst).Call(v));
        var bias = Random(4, 6);
        var p = f.Init(0, x).With(B, bias.reshape(6, 1, 1));
        using (no_grad())
        {
            conv.weight!.copy_(p[W].permute(3, 2, 0, 1));
            conv.bias!.copy_(bias);
        }
        AssertClose(conv.forward(x), f.Apply(p, x));
    }

    [Fact]
    public void MaskMultipliesTheWeightsInEveryConvolution()
    {
        // A causal 1-D mask (zero the future tap) and a random one on 2-D/3-D: the masked layer equals the plain
        // layer with w · mask, and the mask's zeros make those weights' gradients zero.
        var x1 = Random(1, 1, 6, 2);
        var causal = tensor(new double[] { 1, 1, 0 }).reshape(3, 1, 1).expand(3, 2, 3).contiguous();
        var masked = Hk.Transform((Tensor v) => Conv1D.Create(3, 3, mask: causal).Call(v));
        var plain = Hk.Transform((Tensor v) => Conv1D.Create(3, 3).Call(v));
        var p = masked.Init(0, x1).With("~/Conv1D_0/__call__/b", Random(2, 3));
        AssertClose(plain.Apply(p.With("~/Conv1D_0/__call__/w", p["~/Conv1D_0/__call__/w"] * causal), x1), masked.Apply(p, x1));
        // The output at t does not depend on x[t + 1] (SAME padding, kernel 3: taps t−1, t, t+1; the last is masked).
        var changed = x1.clone();
        changed[0, 5] = changed[0, 5] + 1;
        AssertClose(masked.Apply(p, x1)[0, ..5], masked.Apply(p, changed)[0, ..5]);

        foreach (var n in new[] { 2, 3 })
        {
            long[] wShape = [.. Enumerable.Repeat(2L, n), 2, 3];
            var mask = Random(3, wShape).gt(0).to_type(ScalarType.Float64);
            var x = Random(4, [1, .. Enumerable.Repeat(3L, n), 2]);
            var f = Hk.Transform((Tensor v) => ConvND.Create(n, 3, [2], mask: mask).Call(v));
            var g = Hk.Transform((Tensor v) => ConvND.Create(n, 3, [2]).Call(v));
            var q = f.Init(0, x);
            AssertClose(g.Apply(q.With(W, q[W] * mask), x), f.Apply(q, x));
            var leaf = q[W].detach().clone().requires_grad_(true);
            var loss = f.Apply(q.With(W, leaf), x).sum();
            var grad = autograd.grad([loss], [leaf], retain_graph: false, create_graph: false, allow_unused: true)[0];
            Assert.Equal(0.0, (grad * (1 - mask)).abs().sum().item<double>());
        }
    }

    [Fact]
    public void GradientsMatchFiniteDifferencesWithAMask()
    {
        var x = Random(5, 1, 5, 2);
        var mask = tensor(new double[] { 1, 0, 1 }).reshape(3, 1, 1).expand(3, 2, 2).contiguous();
        var f = Hk.Transform((Tensor v) => ConvND.Create(1, 2, [3], mask: mask).Call(v));
        var p = f.Init(1, x).With(B, Random(6, 2));
        var r = Random(7, f.Apply(p, x).shape);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, x) * r).sum());
    }

    [Fact]
    public void BadArgumentsAndMasksAreExplained()
    {
        var n = Assert.Throws<LayerConfigurationException>(() => ConvND.Create(4, 2, [3]));
        Assert.Contains("numSpatialDims must be 1, 2 or 3, got 4", n.Message);
        var k = Assert.Throws<LayerConfigurationException>(() => ConvND.Create(2, 2, [3, 3, 3]));
        Assert.Contains("kernelShape needs 2 values, got 3", k.Message);
        var m = Assert.Throws<LayerInputException>(() =>
            Hk.Transform((Tensor v) => Conv2D.Create(4, 3, mask: ones(3, 3, 1, 4)).Call(v)).Init(0, ones(1, 5, 5, 2)));
        Assert.Contains("mask must have the shape of the weights w, (3, 3, 2, 4) for this input, got (3, 3, 1, 4)", m.Message);
        Assert.Equal("~/Conv2D_0", m.Path);
    }
}
