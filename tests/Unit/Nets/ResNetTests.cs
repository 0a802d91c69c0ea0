using MiniHaiku.Layers;
using MiniHaiku.Nets;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Nets;

public class ResNetTests
{
    private static TransformedWithState<(Tensor X, bool IsTraining), Tensor> Net(Func<Model<ResNet>> create) =>
        Hk.TransformWithState(((Tensor X, bool IsTraining) b) => create().SelectMany(r => r.Call(b.X, b.IsTraining)));

    private static long Count(Func<Model<ResNet>> create, long channels) =>
        Net(create).Init(0, (zeros(1, 32, 32, channels), false)).Params.ElementCount;

    [Fact]
    public void StandardConfigurationsHaveTheKnownParameterCounts()
    {
        // ImageNet counts (3 input channels, 1000 classes; batch-norm scale and offset counted, statistics not):
        // torchvision's resnet18/34 have the same architecture: 11,689,512 and 21,797,672.
        Assert.Equal(11_689_512, Count(() => ResNet.ResNet18(1000), 3));
        Assert.Equal(21_797_672, Count(() => ResNet.ResNet34(1000), 3));
        // Haiku's own integration checkpoint nets.ResNet.json: ResNet((3, 4, 6, 3), 1000) on 2 input channels.
        Assert.Equal(25_553_896, Count(() => ResNet.Create([3, 4, 6, 3], 1000), 2));
        // v2 drops initial_batchnorm (128) and the three shortcut batch norms (1,792), adds final_batchnorm (1,024),
        // and the first blocks of groups 1–3 normalise their inputs (64, 128, 256 channels) instead of outputs: −896.
        Assert.Equal(11_689_512 - 128 - 1_792 + 1_024 - 896, Count(() => ResNet.ResNet18(1000, resnetV2: true), 3));
    }

    private static Model<ResNet> Small(bool v2 = false, bool bottleneck = false) =>
        ResNet.Create([1, 2, 1, 1], 5, resnetV2: v2, bottleneck: bottleneck, channelsPerGroup: bottleneck ? [4, 8, 8, 8] : [2, 4, 4, 4],
            useProjection: [false, true, true, true], initialConv: new ResNetInitialConv(OutputChannels: bottleneck ? 4 : 2, KernelSize: 3, Stride: 1));

    [Fact]
    public void PathsShapesAndStateFollowHaikusNames()
    {
        var (p, state) = Net(() => Small()).Init(0, (Random(1, 2, 8, 8, 1), true));
        const string R = "~/ResNet_0/__call__/";
        Assert.Equal([3L, 3, 1, 2], p[R + "initial_conv/__call__/w"].shape);
        Assert.Equal([2L], p[R + "initial_batchnorm/__call__/scale"].shape);
        Assert.Equal([3L, 3, 2, 2], p[R + "block_group_0/__call__/block_0/__call__/conv_0/__call__/w"].shape);
        Assert.DoesNotContain(R + "block_group_0/__call__/block_0/__call__/shortcut_conv/__call__/w", p.Keys);
        Assert.Equal([1L, 1, 2, 4], p[R + "block_group_1/__call__/block_0/__call__/shortcut_conv/__call__/w"].shape);
        Assert.Equal([4L], p[R + "block_group_1/__call__/block_0/__call__/shortcut_batchnorm/__call__/offset"].shape);
        Assert.Equal([3L, 3, 4, 4], p[R + "block_group_1/__call__/block_1/__call__/conv_1/__call__/w"].shape);
        Assert.Equal(0.0, p[R + "logits/__call__/w"].abs().sum().item<double>());
        Assert.Equal([4L, 5], p[R + "logits/__call__/w"].shape);
        Assert.DoesNotContain(p.Keys, k => k.EndsWith("conv_0/__call__/b") || k.EndsWith("initial_conv/__call__/b"));
        // 1 + (2 + 2·2 + 3 + 3) blocks' batch norms + 3 shortcut batch norms, 2 statistics each.
        Assert.Equal(2 * (1 + 2 * 5 + 3), state.Count);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void OutputIsOneRowOfLogitsPerImageInTrainingAndEvaluation(bool v2, bool bottleneck)
    {
        var f = Net(() => Small(v2, bottleneck));
        var x = Random(2, 3, 9, 7, 1).to_type(ScalarType.Float32);
        var (p, state) = f.Init(0, (x, true));
        var (y, next) = f.Apply(p, state, (x, true));
        Assert.Equal([3L, 5], y.shape);
        Assert.Equal(state.Keys, next.Keys);
        Assert.Equal([3L, 5], f.Apply(p, next, (x, false)).Output.shape);
        if (v2) Assert.Contains("~/ResNet_0/__call__/final_batchnorm/__call__/mean_ema", state.Keys);
        if (bottleneck && !v2)
            Assert.Equal(0.0, p["~/ResNet_0/__call__/block_group_0/__call__/block_0/__call__/batchnorm_2/__call__/scale"].abs().sum().item<float>());
    }

    [Fact]
    public void AV1BlockIsConvBatchNormReluTwiceAddedToItsInput()
    {
        var x = Random(3, 2, 5, 5, 3);
        var f = Hk.TransformWithState((Tensor input) =>
            ResNetBlockV1.Create(3, 1, useProjection: false, bottleneck: false).SelectMany(b => b.Call(input, false)));
        var (p, state) = f.Init(0, x);
        var (y, _) = f.Apply(p, state, x);
        // Fresh statistics (mean 0, var 1), scale 1, offset 0: evaluation batch norm is x / √(1 + eps).
        var k = 1 / Math.Sqrt(1 + 1e-5);
        Tensor Conv(Tensor h, string name) => nn.functional.conv2d(h.permute(0, 3, 1, 2), p[$"~/ResNetBlockV1_0/__call__/{name}/__call__/w"].permute(3, 2, 0, 1), padding: [1, 1]).permute(0, 2, 3, 1);
        var expected = nn.functional.relu(Conv(nn.functional.relu(Conv(x, "conv_0") * k), "conv_1") * k + x);
        AssertClose(expected, y);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GradientsMatchFiniteDifferences(bool v2)
    {
        var x = Random(4, 2, 8, 8, 1);
        var f = Net(() => Small(v2));
        var (p, state) = f.Init(0, (x, true));
        p = p.With("~/ResNet_0/__call__/logits/__call__/w", Random(5, 4, 5));   // zeros would stop every other gradient
        var r = Random(6, 2, 5);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, state, (x, true)).Output * r).sum(), maxElements: 3, tolerance: 1e-5);
    }

    [Fact]
    public void BadConfigurationsAndInputsAreMiniHaikuExceptions()
    {
        var e = Assert.Throws<LayerConfigurationException>(() => Net(() => ResNet.Create([1, 1, 1], 10)).Init(0, (zeros(1, 8, 8, 1), false)));
        Assert.Contains("blocksPerGroup must be of length 4", e.Message);
        Assert.Throws<LayerConfigurationException>(() => Net(() => ResNet.Create([1, 1, 1, 1], 10, channelsPerGroup: [6, 8, 8, 8])).Init(0, (zeros(1, 8, 8, 1), false)));
        var i = Assert.Throws<LayerInputException>(() => Net(() => Small()).Init(0, (zeros(1, 8, 8), false)));
        Assert.Contains("~/ResNet_0", i.Message);
    }
}
