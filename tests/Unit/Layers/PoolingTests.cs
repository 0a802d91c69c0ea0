using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class PoolingTests
{
    private static readonly Tensor XNchw = Random(1, 2, 3, 7, 6);

    private static Tensor InBothLayouts(Func<DataFormat, Tensor, Tensor> run, DataFormat format) =>
        format == DataFormat.ChannelsFirst ? run(format, XNchw) : run(format, XNchw.permute(0, 2, 3, 1)).permute(0, 3, 1, 2);

    private static Tensor Max(int k, int? s, Pad? p, DataFormat format) => InBothLayouts((fmt, x) =>
        Hk.Transform((Tensor v) => MaxPool.Create(k, s, p, fmt).Call(v)).Apply(Params.Empty, x), format);

    private static Tensor Avg(int k, int? s, Pad? p, DataFormat format) => InBothLayouts((fmt, x) =>
        Hk.Transform((Tensor v) => AvgPool.Create(k, s, p, fmt).Call(v)).Apply(Params.Empty, x), format);

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

    [Theory]
    [InlineData(DataFormat.ChannelsFirst)]
    [InlineData(DataFormat.ChannelsLast)]
    public void AvgPoolMatchesTorchAndExcludesPaddingFromTheMean(DataFormat format)
    {
        using var valid = nn.AvgPool2d(2);
        AssertClose(valid.forward(XNchw), Avg(2, null, null, format));
        using var same = nn.AvgPool2d(3, stride: 1, padding: 1, count_include_pad: false);
        AssertClose(same.forward(XNchw), Avg(3, 1, Pad.Same, format));
    }

    [Fact]
    public void SamePoolingWithStrideGivesCeilSizes()
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
