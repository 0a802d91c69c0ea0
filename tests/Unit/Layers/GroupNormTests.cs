using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class GroupNormTests
{
    private const string Scale = "~/GroupNorm_0/__call__/scale";
    private const string Offset = "~/GroupNorm_0/__call__/offset";

    [Fact]
    public void ParametersAreChannelShaped()
    {
        var p = Hk.Transform((Tensor x) => GroupNorm.Create(2).Call(x)).Init(0, ones(1, 3, 3, 6));
        Assert.Equal($"{{'{Offset}': (6,), '{Scale}': (6,)}}", p.Shapes().ToString());
    }

    [Theory]
    [InlineData(DataFormat.ChannelsFirst, 2)]
    [InlineData(DataFormat.ChannelsLast, 3)]
    [InlineData(DataFormat.ChannelsLast, 1)]
    public void MatchesTorchGroupNorm(DataFormat format, int groups)
    {
        var xNchw = Random(1, 2, 6, 3, 4) * 2 + 1;
        var x = format == DataFormat.ChannelsFirst ? xNchw : xNchw.permute(0, 2, 3, 1);
        var f = Hk.Transform((Tensor v) => GroupNorm.Create(groups, dataFormat: format).Call(v));
        var p = f.Init(0, x).With(Scale, Random(2, 6)).With(Offset, Random(3, 6));
        using var gn = nn.GroupNorm(groups, 6, dtype: ScalarType.Float64);
        using (no_grad())
        {
            gn.weight!.copy_(p[Scale]);
            gn.bias!.copy_(p[Offset]);
        }
        var y = f.Apply(p, x);
        AssertClose(gn.forward(xNchw), format == DataFormat.ChannelsFirst ? y : y.permute(0, 3, 1, 2));
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var x = Random(5, 2, 3, 4);
        var f = Hk.Transform((Tensor v) => GroupNorm.Create(2).Call(v));
        var p = f.Init(0, x).With(Scale, Random(6, 4)).With(Offset, Random(7, 4));
        var r = Random(8, 2, 3, 4);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, x) * r).sum());
    }

    [Fact]
    public void ChannelsNotDivisibleByGroupsAreExplained()
    {
        var e = Assert.Throws<LayerInputException>(() => Hk.Transform((Tensor v) => GroupNorm.Create(4).Call(v)).Init(0, ones(1, 3, 6)));
        Assert.Contains("divisible", e.Message);
    }
}
