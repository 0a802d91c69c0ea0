using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class InstanceNormTests
{
    private const string Scale = "~/InstanceNorm_0/__call__/scale";
    private const string Offset = "~/InstanceNorm_0/__call__/offset";

    [Fact]
    public void ParameterShapesFollowHaiku()
    {
        var last = Hk.Transform((Tensor x) => InstanceNorm.Create().Call(x)).Init(0, ones(2, 4, 4, 3));
        Assert.Equal($"{{'{Offset}': (3,), '{Scale}': (3,)}}", last.Shapes().ToString());
        Assert.True(last[Scale].Equals(ones(3)) && last[Offset].Equals(zeros(3)));
        // Channels first: Haiku's broadcast shape [1, C, 1, 1] (param_axis = 1).
        var first = Hk.Transform((Tensor x) => InstanceNorm.Create(dataFormat: DataFormat.ChannelsFirst).Call(x)).Init(0, ones(2, 3, 4, 4));
        Assert.Equal($"{{'{Offset}': (1, 3, 1, 1), '{Scale}': (1, 3, 1, 1)}}", first.Shapes().ToString());
    }

    [Fact]
    public void MatchesTorchInstanceNorm2dAnd3dInBothLayouts()
    {
        var x2 = Random(1, 2, 3, 4, 5) * 2 + 1;
        var f = Hk.Transform((Tensor v) => InstanceNorm.Create(dataFormat: DataFormat.ChannelsFirst).Call(v));
        var p = f.Init(0, x2).With(Scale, Random(2, 1, 3, 1, 1)).With(Offset, Random(3, 1, 3, 1, 1));
        using var torch2d = nn.InstanceNorm2d(3, affine: true, dtype: ScalarType.Float64);
        using (no_grad())
        {
            torch2d.weight!.copy_(p[Scale].reshape(3));
            torch2d.bias!.copy_(p[Offset].reshape(3));
        }
        AssertClose(torch2d.forward(x2), f.Apply(p, x2));

        var x3 = Random(4, 2, 3, 2, 3, 4) - 1;
        var g = Hk.Transform((Tensor v) => InstanceNorm.Create(eps: 1e-3).Call(v));
        var q = g.Init(0, x3.permute(0, 2, 3, 4, 1)).With(Scale, Random(5, 3)).With(Offset, Random(6, 3));
        using var torch3d = nn.InstanceNorm3d(3, eps: 1e-3, affine: true, dtype: ScalarType.Float64);
        using (no_grad())
        {
            torch3d.weight!.copy_(q[Scale]);
            torch3d.bias!.copy_(q[Offset]);
        }
        AssertClose(torch3d.forward(x3), g.Apply(q, x3.permute(0, 2, 3, 4, 1)).permute(0, 4, 1, 2, 3));
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var x = Random(5, 2, 3, 2);
        var f = Hk.Transform((Tensor v) => InstanceNorm.Create().Call(v));
        var p = f.Init(0, x).With(Scale, Random(6, 2)).With(Offset, Random(7, 2));
        var r = Random(8, 2, 3, 2);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, x) * r).sum());
    }

    [Fact]
    public void BadInputsAndArgumentsAreExplained()
    {
        var e = Assert.Throws<LayerInputException>(() => Hk.Transform((Tensor v) => InstanceNorm.Create().Call(v)).Init(0, ones(4, 3)));
        Assert.Contains("at least one spatial axis", e.Message);
        Assert.Contains("got shape (4, 3)", e.Message);
        Assert.Equal("~/InstanceNorm_0", e.Path);
        Assert.Throws<LayerConfigurationException>(() => InstanceNorm.Create(eps: -1));
    }
}
