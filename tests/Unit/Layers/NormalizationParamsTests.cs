using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

/// <summary>Haiku's <c>param_axis</c> and conditional (call-time) scale/offset for LayerNorm, RMSNorm and InstanceNorm.</summary>
public class NormalizationParamsTests
{
    [Fact]
    public void LayerNormParamAxisGivesHaikusBroadcastShapeAndMatchesTorch()
    {
        var x = Random(1, 2, 3, 4) * 2 + 1;
        var f = Hk.Transform((Tensor v) => LayerNorm.Create([1, 2], paramAxis: [1, 2]).Call(v));
        var p = f.Init(0, x);
        Assert.Equal("{'~/LayerNorm_0/__call__/offset': (1, 3, 4), '~/LayerNorm_0/__call__/scale': (1, 3, 4)}", p.Shapes().ToString());
        p = p.With("~/LayerNorm_0/__call__/scale", Random(2, 1, 3, 4)).With("~/LayerNorm_0/__call__/offset", Random(3, 1, 3, 4));
        using var ln = nn.LayerNorm([3, 4], dtype: ScalarType.Float64);
        using (no_grad())
        {
            ln.weight!.copy_(p["~/LayerNorm_0/__call__/scale"].reshape(3, 4));
            ln.bias!.copy_(p["~/LayerNorm_0/__call__/offset"].reshape(3, 4));
        }
        AssertClose(ln.forward(x), f.Apply(p, x));
        // The default, and paramAxis = [-1] explicitly, keep the compact [C] shape.
        var last = Hk.Transform((Tensor v) => LayerNorm.Create(paramAxis: [2]).Call(v)).Init(0, x);
        Assert.Equal("{'~/LayerNorm_0/__call__/offset': (4,), '~/LayerNorm_0/__call__/scale': (4,)}", last.Shapes().ToString());
        var middle = Hk.Transform((Tensor v) => LayerNorm.Create(paramAxis: [1]).Call(v)).Init(0, x);
        Assert.Equal("{'~/LayerNorm_0/__call__/offset': (1, 3, 1), '~/LayerNorm_0/__call__/scale': (1, 3, 1)}", middle.Shapes().ToString());
    }

    [Fact]
    public void RMSNormParamAxisScalesAlongThatAxis()
    {
        var x = Random(4, 2, 3, 4);
        var f = Hk.Transform((Tensor v) => RMSNorm.Create(paramAxis: [1]).Call(v));
        var p = f.Init(0, x);
        Assert.Equal([1L, 3, 1], p["~/RMSNorm_0/__call__/scale"].shape);
        var scale = Random(5, 1, 3, 1);
        p = p.With("~/RMSNorm_0/__call__/scale", scale);
        var expected = x / (x.square().mean([-1], keepdim: true) + 1e-5).sqrt() * scale;
        AssertClose(expected, f.Apply(p, x));
    }

    [Fact]
    public void ScaleAndOffsetGivenAtCallTimeEqualLearnedOnes()
    {
        var x = Random(6, 2, 5);
        var scale = Random(7, 5);
        var offset = Random(8, 5);
        var learned = Hk.Transform((Tensor v) => LayerNorm.Create().Call(v));
        var p = learned.Init(0, x).With("~/LayerNorm_0/__call__/scale", scale).With("~/LayerNorm_0/__call__/offset", offset);
        var given = Hk.Transform((Tensor v) => LayerNorm.Create(createScale: false, createOffset: false).Call(v, scale, offset));
        Assert.Empty(given.Init(0, x));
        AssertClose(learned.Apply(p, x), given.Apply(Params.Empty, x));

        // Per-example conditioning: [N, 1] broadcasts over the features.
        var perExample = Random(9, 2, 1);
        var y = Hk.Transform((Tensor v) => LayerNorm.Create(createScale: false, createOffset: false).Call(v, perExample, null)).Apply(Params.Empty, x);
        var plain = Hk.Transform((Tensor v) => LayerNorm.Create(createScale: false, createOffset: false).Call(v)).Apply(Params.Empty, x);
        AssertClose(plain * perExample, y);

        var rms = Hk.Transform((Tensor v) => RMSNorm.Create(createScale: false).Call(v, scale)).Apply(Params.Empty, x);
        AssertClose(Hk.Transform((Tensor v) => RMSNorm.Create().Call(v)).Apply(Params.Create([KeyValuePair.Create("~/RMSNorm_0/__call__/scale", scale)]), x), rms);

        var images = Random(10, 2, 3, 3, 2);
        var inst = Hk.Transform((Tensor v) => InstanceNorm.Create(createScale: false, createOffset: false).Call(v, scale[..2], offset[..2])).Apply(Params.Empty, images);
        var instLearned = Hk.Transform((Tensor v) => InstanceNorm.Create().Call(v));
        var ip = instLearned.Init(0, images).With("~/InstanceNorm_0/__call__/scale", scale[..2]).With("~/InstanceNorm_0/__call__/offset", offset[..2]);
        AssertClose(instLearned.Apply(ip, images), inst);
    }

    [Fact]
    public void GradientsFlowToTheCallTimeScaleAndOffset()
    {
        // The conditioning comes from parameters of another layer: a conditional LayerNorm, checked by finite differences.
        var x = Random(11, 3, 4);
        var c = Random(12, 3, 2);
        var f = Hk.Transform((Tensor v) =>
            from s in Linear.Create(4, name: "to_scale").Call(c)
            from o in Linear.Create(4, name: "to_offset").Call(c)
            from y in LayerNorm.Create(createScale: false, createOffset: false).Call(v, s, o)
            select y);
        var p = f.Init(0, x).With("~/to_scale/__call__/b", Random(13, 4)).With("~/to_offset/__call__/b", Random(14, 4));
        var r = Random(15, 3, 4);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, x) * r).sum());
    }

    [Fact]
    public void BadCallTimeValuesAreExplained()
    {
        var x = ones(2, 5, dtype: ScalarType.Float64);
        var both = Assert.Throws<LayerInputException>(() => Hk.Transform((Tensor v) => LayerNorm.Create().Call(v, ones(5, dtype: ScalarType.Float64), null)).Init(0, x));
        Assert.Contains("cannot take scale at call time when it learns one (createScale: true)", both.Message);
        Assert.Equal("~/LayerNorm_0", both.Path);
        var shape = Assert.Throws<LayerInputException>(() =>
            Hk.Transform((Tensor v) => LayerNorm.Create(createOffset: false).Call(v, null, ones(3, dtype: ScalarType.Float64))).Init(0, x));
        Assert.Contains("offset of shape (3,) does not broadcast to the input's shape (2, 5)", shape.Message);
        var dtype = Assert.Throws<LayerInputException>(() => Hk.Transform((Tensor v) => RMSNorm.Create(createScale: false).Call(v, ones(5))).Init(0, x));
        Assert.Contains("dtype Float32 but the input has Float64", dtype.Message);
        var axis = Assert.Throws<LayerInputException>(() => Hk.Transform((Tensor v) => LayerNorm.Create(paramAxis: [2]).Call(v)).Init(0, x));
        Assert.Contains("paramAxis", axis.Message);
        Assert.Throws<LayerConfigurationException>(() => RMSNorm.Create(paramAxis: []));
    }

    [Fact]
    public void GradientsWithParamAxisMatchFiniteDifferences()
    {
        var x = Random(16, 2, 3, 4);
        var ln = Hk.Transform((Tensor v) => LayerNorm.Create([1, 2], paramAxis: [1]).Call(v));
        var p = ln.Init(0, x).With("~/LayerNorm_0/__call__/scale", Random(17, 1, 3, 1)).With("~/LayerNorm_0/__call__/offset", Random(18, 1, 3, 1));
        var r = Random(19, 2, 3, 4);
        AssertMatchesFiniteDifferences(p, q => (ln.Apply(q, x) * r).sum());
        var rms = Hk.Transform((Tensor v) => RMSNorm.Create([0, 2], paramAxis: [0, 2]).Call(v));
        var s = rms.Init(0, x).With("~/RMSNorm_0/__call__/scale", Random(20, 2, 1, 4));
        AssertMatchesFiniteDifferences(s, q => (rms.Apply(q, x) * r).sum());
    }
}
