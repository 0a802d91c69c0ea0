using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

/// <summary>Functional N-d pooling (<see cref="Pool"/>) and the modules' extra leading batch axes.</summary>
public class PoolTests
{
    [Theory]
    [InlineData("VALID", 2, 2)]
    [InlineData("SAME", 3, 2)]
    [InlineData("SAME", 2, 1)]
    public void TwoDimensionalWindowsEqualTheModules(string padding, int window, int stride)
    {
        var x = Random(1, 2, 5, 6, 3);
        var pad = padding == "SAME" ? Pad.Same : Pad.Valid;
        var max = Hk.Transform((Tensor v) => MaxPool.Create(window, stride, pad).Call(v)).Apply(Params.Empty, x);
        var avg = Hk.Transform((Tensor v) => AvgPool.Create(window, stride, pad).Call(v)).Apply(Params.Empty, x);
        AssertClose(max, Pool.Max(x, [window, window, 1], [stride, stride, 1], pad));
        AssertClose(avg, Pool.Avg(x, [window, window, 1], [stride, stride, 1], pad));
        // An integer window pools every axis but the batch and the channel axis, as Haiku.
        AssertClose(max, Pool.Max(x, window, stride, pad));
        AssertClose(avg, Pool.Avg(x, window, stride, pad));
    }

    [Fact]
    public void ThreeDimensionalWindowsMatchTorch()
    {
        var x = Random(2, 2, 3, 4, 6, 5);                                    // [N, C, D, H, W]
        AssertClose(nn.functional.max_pool3d(x, [2, 2, 3], [2, 2, 3]), Pool.Max(x, [2, 2, 3]));
        AssertClose(nn.functional.avg_pool3d(x, [3, 2, 2], [1, 2, 1]), Pool.Avg(x, [3, 2, 2], [1, 2, 1]));
        AssertClose(nn.functional.max_pool3d(x, [2, 2, 2], [2, 2, 2]), Pool.Max(x, 2, 2, channelAxis: 1));
    }

    [Fact]
    public void SameAverageCountsOnlyRealElements()
    {
        var x = ones(1, 3, 3, 1, dtype: ScalarType.Float64);
        AssertClose(x, Pool.Avg(x, [2, 2, 1], [1, 1, 1], Pad.Same));
        var y = Pool.Max(x.neg(), [3, 1], [1, 1], Pad.Same);
        AssertClose(x.neg(), y);                                             // −∞ padding never wins
    }

    [Fact]
    public void ModulesAcceptSeveralLeadingBatchAxes()
    {
        var x = Random(3, 2, 3, 4, 4, 2);                                    // [T, N, H, W, C]
        var f = Hk.Transform((Tensor v) => MaxPool.Create(2).Call(v));
        var y = f.Apply(Params.Empty, x);
        Assert.Equal([2L, 3, 2, 2, 2], y.shape);
        AssertClose(f.Apply(Params.Empty, x[1]), y[1]);
        var g = Hk.Transform((Tensor v) => AvgPool.Create(3, 1, Pad.Same, DataFormat.ChannelsFirst).Call(v));
        var z = Random(4, 2, 2, 3, 5, 5);                                    // [T, N, C, H, W]
        AssertClose(g.Apply(Params.Empty, z[0]), g.Apply(Params.Empty, z)[0]);
    }

    [Fact]
    public void GradientsOfAverageMatchFiniteDifferences()
    {
        // Pooling has no parameters: check the gradient with respect to a parameter feeding it.
        var f = Hk.Transform((Tensor v) =>
            from h in Bias.Create(bInit: Initializers.RandomNormal()).Call(v)
            select Pool.Avg(h, [3, 2], [2, 2], Pad.Same));
        var x = Random(5, 1, 5, 4);
        var p = f.Init(0, x);
        var r = Random(6, f.Apply(p, x).shape);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, x) * r).sum());
    }

    [Fact]
    public void BadWindowsAreExplained()
    {
        Assert.Contains("more axes than the input", Assert.Throws<LayerInputException>(() => Pool.Max(ones(2, 3), [1, 2, 2])).Message);
        Assert.Contains("does not fit axis 1", Assert.Throws<LayerInputException>(() => Pool.Avg(ones(2, 3), [4])).Message);
        Assert.Throws<LayerConfigurationException>(() => Pool.Max(ones(2, 3), [0]));
        Assert.Throws<LayerConfigurationException>(() => Pool.Max(ones(2, 3), [2], [1, 1]));
        Assert.Throws<LayerConfigurationException>(() => Pool.Max(ones(2, 3), [2], null, Pad.Explicit(1, 1)));
        Assert.Contains("channel axis 5", Assert.Throws<LayerInputException>(() => Pool.Max(ones(2, 3), 2, 2, channelAxis: 5)).Message);
    }

    [Fact]
    public void GradientsOfMaxMatchFiniteDifferences()
    {
        var f = Hk.Transform((Tensor v) =>
            from h in Bias.Create(bInit: Initializers.RandomNormal()).Call(v)
            select Pool.Max(h, [2, 3], [1, 2], Pad.Same));
        var x = Random(7, 2, 4, 5);
        var p = f.Init(0, x);
        var r = Random(8, f.Apply(p, x).shape);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, x) * r).sum());
    }
}
