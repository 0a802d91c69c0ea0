using MiniHaiku.Layers;

namespace MiniHaiku.Tests.Layers;

public class ReshapeTests
{
    [Fact]
    public void ReshapesTrailingAxesInferringMinusOne()
    {
        var x = torch.arange(2 * 12).reshape(2, 12);
        var y = Hk.Transform((Tensor v) => Reshape.Create([3, -1]).Call(v)).Apply(Params.Empty, x);
        Assert.Equal([2L, 3, 4], y.shape);
        Assert.True(y.Equals(x.reshape(2, 3, 4)));
        var z = Hk.Transform((Tensor v) => Reshape.Create([24], preserveDims: 0).Call(v)).Apply(Params.Empty, x);
        Assert.Equal([24L], z.shape);
    }

    [Fact]
    public void IncompatibleShapesAreExplained()
    {
        var e = Assert.Throws<LayerInputException>(() =>
            Hk.Transform((Tensor v) => Reshape.Create([5, -1]).Call(v)).Apply(Params.Empty, ones(2, 12)));
        Assert.Contains("Reshape_0", e.Message);
        Assert.Throws<LayerConfigurationException>(() => Reshape.Create([-1, -1]));
        Assert.Throws<LayerConfigurationException>(() => Reshape.Create([0]));
    }

    [Fact]
    public void NegativePreserveDimsReshapesThatManyTrailingAxes()
    {
        var f = Hk.Transform((Tensor v) => Reshape.Create([-1, 2], preserveDims: -2).Call(v));
        Assert.Equal([5L, 6, 2], f.Apply(Params.Empty, ones(5, 3, 4)).shape);
        Assert.Equal([7L, 5, 6, 2], f.Apply(Params.Empty, ones(7, 5, 3, 4)).shape);
        Assert.Equal([6L, 2], f.Apply(Params.Empty, ones(3, 4)).shape);
        var e = Assert.Throws<LayerInputException>(() => Hk.Transform((Tensor v) => Reshape.Create([5], preserveDims: -1).Call(v)).Init(0, ones(2, 3)));
        Assert.Contains("cannot reshape", e.Message);
    }
}
