using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class DepthwiseConvNDTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void EqualsTheFixedRankFrontEnd(int n)
    {
        var x = Random(1, [1, .. Enumerable.Repeat(4L, n), 2]);
        var general = Hk.Transform((Tensor v) => DepthwiseConvND.Create(n, 2, [3], [2]).Call(v));
        var p = general.Init(0, x);
        Assert.Equal([.. Enumerable.Repeat(3L, n), 1, 4], p["~/DepthwiseConvND_0/__call__/w"].shape);
        Func<Tensor, Model<Tensor>> front = n switch
        {
            1 => v => DepthwiseConv1D.Create(2, 3, 2).Call(v),
            2 => v => DepthwiseConv2D.Create(2, 3, 2).Call(v),
            _ => v => DepthwiseConv3D.Create(2, 3, 2).Call(v),
        };
        var q = Params.Create(p.Keys.Select(k => KeyValuePair.Create(k.Replace("DepthwiseConvND", $"DepthwiseConv{n}D", StringComparison.Ordinal), p[k])));
        AssertClose(Hk.Transform(front).Apply(q, x), general.Apply(p, x));
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var x = Random(5, 1, 4, 3, 2);
        var f = Hk.Transform((Tensor v) => DepthwiseConvND.Create(2, 1, [2, 3], dilation: [2, 1]).Call(v));
        var p = f.Init(1, x).With("~/DepthwiseConvND_0/__call__/b", Random(6, 2));
        var r = Random(7, f.Apply(p, x).shape);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, x) * r).sum());
    }

    [Fact]
    public void BadArgumentsAreExplained()
    {
        Assert.Contains("numSpatialDims must be 1, 2 or 3", Assert.Throws<LayerConfigurationException>(() => DepthwiseConvND.Create(0, 1, [3])).Message);
        Assert.Contains("channelMultiplier", Assert.Throws<LayerConfigurationException>(() => DepthwiseConvND.Create(2, -1, [3])).Message);
    }
}
