using MiniHaiku.Layers;

namespace MiniHaiku.Tests.Layers;

public class FlattenTests
{
    [Fact]
    public void FlattensTrailingAxesAndKeepsOrder()
    {
        var x = torch.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5);
        var y = Hk.Transform((Tensor v) => Flatten.Create().Call(v)).Apply(Params.Empty, x);
        Assert.Equal([2L, 60], y.shape);
        Assert.True(y.Equals(x.reshape(2, 60)));
        var y2 = Hk.Transform((Tensor v) => Flatten.Create(2).Call(v)).Apply(Params.Empty, x);
        Assert.Equal([2L, 3, 20], y2.shape);
    }

    [Fact]
    public void ShortInputsPassThroughAndHaveNoParameters()
    {
        var f = Hk.Transform((Tensor v) => Flatten.Create().Call(v));
        Assert.Empty(f.Init(0, ones(3)));
        Assert.Equal([3L], f.Apply(Params.Empty, ones(3)).shape);
        Assert.Throws<LayerConfigurationException>(() => Flatten.Create(0));
    }

    [Fact]
    public void NegativePreserveDimsFlattensThatManyTrailingAxes()
    {
        var f = Hk.Transform((Tensor v) => Flatten.Create(preserveDims: -2).Call(v));
        Assert.Equal([3L, 8], f.Apply(Params.Empty, ones(3, 2, 4)).shape);
        Assert.Equal([8L], f.Apply(Params.Empty, ones(2, 4)).shape);      // the same module on one element
        Assert.Equal([6L], f.Apply(Params.Empty, ones(6)).shape);         // fewer axes: all of them
        var x = randn(2, 3, 4, 5);
        Assert.True(Hk.Transform((Tensor v) => Flatten.Create(-3).Call(v)).Apply(Params.Empty, x).Equals(x.reshape(2, 60)));
    }
}
