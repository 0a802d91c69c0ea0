using MiniHaiku.Layers;
using MiniHaiku.Nets;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Nets;

public class MobileNetV1Tests
{
    private static TransformedWithState<(Tensor X, bool IsTraining), Tensor> Net(bool useBn = true, int classes = 1000) =>
        Hk.TransformWithState(((Tensor X, bool IsTraining) b) =>
            MobileNetV1.Create(strides: [1, 2, 1], channels: [16, 32, 64], numClasses: classes, useBn: useBn).SelectMany(m => m.Call(b.X, b.IsTraining)));

    [Fact]
    public void HaikusCheckpointConfigurationHasItsParameterCountAndShapes()
    {
        // Haiku's integration checkpoint nets.MobileNetV1.json: strides (1, 1, 1), channels (16, 32, 64), input 64×64×2: 69,816.
        var f = Hk.TransformWithState((Tensor x) => MobileNetV1.Create([1, 1, 1], [16, 32, 64]).SelectMany(m => m.Call(x, false)));
        var (p, state) = f.Init(0, zeros(1, 64, 64, 2));
        Assert.Equal(69_816, p.ElementCount);
        const string M = "~/MobileNetV1_0/__call__/";
        Assert.Equal([3L, 3, 2, 32], p[M + "Conv2D_0/__call__/w"].shape);
        Assert.Equal([3L, 3, 1, 32], p[M + "MobileNetV1Block_0/__call__/depthwise_conv/__call__/w"].shape);
        Assert.Equal([1L, 1, 32, 16], p[M + "MobileNetV1Block_0/__call__/pointwise_conv/__call__/w"].shape);
        Assert.Equal([16L], p[M + "MobileNetV1Block_0/__call__/BatchNorm_1/__call__/scale"].shape);
        Assert.Equal([64L, 1000], p[M + "logits/__call__/w"].shape);
        Assert.Equal(2 * 7, state.Count);
    }

    [Fact]
    public void StridesShrinkTheImageAndWithoutBatchNormTheConvolutionsHaveBiases()
    {
        var x = Random(1, 2, 11, 11, 3).to_type(ScalarType.Float32);
        var f = Net(useBn: false, classes: 4);
        var (p, state) = f.Init(0, (x, true));
        Assert.Empty(state);
        Assert.Equal([32L], p["~/MobileNetV1_0/__call__/MobileNetV1Block_0/__call__/depthwise_conv/__call__/b"].shape);
        Assert.Equal([2L, 4], f.Apply(p, state, (x, true)).Output.shape);

        var trace = Hk.Transform((Tensor t) =>
            MobileNetV1Block.Create(8, 2, useBn: false).SelectMany(b => b.Call(t, false)));
        var y = trace.Apply(trace.Init(0, zeros(1, 5, 5, 3)), zeros(1, 5, 5, 3));
        Assert.Equal([1L, 3, 3, 8], y.shape);   // padding 1, stride 2: ⌊(5 + 2 − 3) / 2⌋ + 1
    }

    [Fact]
    public void TheDepthwiseConvolutionActsOnEachChannelAlone()
    {
        var x = Random(2, 1, 4, 4, 3);
        var f = Hk.Transform((Tensor t) => MobileNetV1Block.Create(2, 1, useBn: false).SelectMany(b => b.Call(t, false)));
        var p = f.Init(0, x);
        var w = p["~/MobileNetV1Block_0/__call__/depthwise_conv/__call__/w"];
        var pw = p["~/MobileNetV1Block_0/__call__/pointwise_conv/__call__/w"];
        var d = nn.functional.conv2d(x.permute(0, 3, 1, 2), w.permute(3, 2, 0, 1), padding: [1, 1], groups: 3).permute(0, 2, 3, 1)
            + p["~/MobileNetV1Block_0/__call__/depthwise_conv/__call__/b"];
        var expected = nn.functional.relu(nn.functional.relu(d).matmul(pw.reshape(3, 2)) + p["~/MobileNetV1Block_0/__call__/pointwise_conv/__call__/b"]);
        AssertClose(expected, f.Apply(p, x));
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var x = Random(3, 2, 7, 7, 2);
        var f = Net(useBn: true, classes: 3);
        var (p, state) = f.Init(0, (x, true));
        var r = Random(4, 2, 3);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, state, (x, true)).Output * r).sum(), maxElements: 3, tolerance: 1e-5);
    }
}
