using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;
using static MiniHaiku.Tests.Layers.PoolingCases;

namespace MiniHaiku.Tests.Layers;

public class MaxPoolTests
{
    [Theory]
    [InlineData(DataFormat.ChannelsFirst)]
    [InlineData(DataFormat.ChannelsLast)]
    public void MaxPoolMatchesTorch(DataFormat format)
    {
        using var valid = nn.MaxPool2d(2);
        AssertClose(valid.forward(XNchw), Max(2, null, null, format));
        using var same = nn.MaxPool2d(3, stride: 1, padding: 1);
        AssertClose(same.forward(XNchw), Max(3, 1, Pad.Same, format));
        using var strided = nn.MaxPool2d(3, stride: 2);
        AssertClose(strided.forward(XNchw), Max(3, 2, Pad.Valid, format));
    }

    [Fact]
    public void SameWithStrideGivesCeilSizesAndAveragesOnlyRealElements()
    {
        var y = Hk.Transform((Tensor v) => MaxPool.Create(2, 2, Pad.Same).Call(v)).Apply(Params.Empty, ones(1, 7, 5, 3));
        Assert.Equal([1L, 4, 3, 3], y.shape);
        // A corner window of SAME avg pooling averages only the real elements: all ones stays ones.
        var a = Hk.Transform((Tensor v) => AvgPool.Create(2, 2, Pad.Same).Call(v)).Apply(Params.Empty, ones(1, 7, 5, 3));
        AssertClose(ones(1, 4, 3, 3), a);
    }

    [Fact]
    public void PoolsHaveNoParametersAndRejectBadRanks()
    {
        Assert.Empty(Hk.Transform((Tensor v) => MaxPool.Create(2).Call(v)).Init(0, ones(1, 4, 4, 1)));
        Assert.Throws<LayerInputException>(() => Hk.Transform((Tensor v) => AvgPool.Create(2).Call(v)).Apply(Params.Empty, ones(4, 4)));
        Assert.Throws<LayerConfigurationException>(() => MaxPool.Create(0));
    }
}
