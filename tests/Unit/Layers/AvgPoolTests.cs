using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;
using static MiniHaiku.Tests.Layers.PoolingCases;

namespace MiniHaiku.Tests.Layers;

public class AvgPoolTests
{
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
}
