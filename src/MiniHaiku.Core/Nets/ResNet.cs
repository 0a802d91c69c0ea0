using MiniHaiku.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Nets;

/// <summary>The first convolution of a <see cref="ResNet"/> (Haiku's <c>initial_conv_config</c>): 64 channels, 7×7, stride 2, no bias, SAME.</summary>
/// <param name="OutputChannels">Its output channels.</param>
/// <param name="KernelSize">Its (square) kernel size.</param>
/// <param name="Stride">Its stride.</param>
/// <param name="WithBias">Whether it has a bias.</param>
public sealed record ResNetInitialConv(int OutputChannels = 64, int KernelSize = 7, int Stride = 2, bool WithBias = false);

/// <summary>
/// A residual network (Haiku's <c>hk.nets.ResNet</c>, He et al. 2015/2016) over channels-last images
/// <c>[N, H, W, C]</c>: <c>initial_conv</c> (→ <c>initial_batchnorm</c> → ReLU in v1), a 3×3 stride-2 SAME max
/// pool, four <see cref="ResNetBlockGroup"/>s <c>block_group_0..3</c>, (v2: <c>final_batchnorm</c> → ReLU), the
/// spatial mean, and a <see cref="Linear"/> named <c>logits</c> whose weights start at zero. Use
/// <see cref="ResNet18"/>, <see cref="ResNet34"/>, <see cref="ResNet50"/> for the standard configurations.
/// Needs <see cref="Hk.TransformWithState{TIn, TOut}"/> (batch-norm statistics).
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="BlocksPerGroup">Blocks in each of the four groups.</param>
/// <param name="NumClasses">The number of logits.</param>
/// <param name="BatchNorm">The batch norms' settings.</param>
/// <param name="ResNetV2">Whether to use pre-activation (v2) blocks.</param>
/// <param name="Bottleneck">Whether to use bottleneck blocks.</param>
/// <param name="ChannelsPerGroup">Output channels of each group.</param>
/// <param name="UseProjection">Whether each group's first block projects its shortcut.</param>
/// <param name="Strides">Each group's first stride.</param>
/// <param name="InitialConv">The first convolution.</param>
/// <param name="LogitsWInit">The logits' weight initializer (Haiku: zeros).</param>
public sealed record ResNet(ModuleName Name, IReadOnlyList<int> BlocksPerGroup, int NumClasses, ResNetBatchNorm BatchNorm, bool ResNetV2,
    bool Bottleneck, IReadOnlyList<int> ChannelsPerGroup, IReadOnlyList<bool> UseProjection, IReadOnlyList<int> Strides,
    ResNetInitialConv InitialConv, Initializer LogitsWInit) : Module(Name)
{
    /// <summary>Creates a ResNet with Haiku's defaults (bottleneck blocks of 256…2048 channels, projections everywhere).</summary>
    /// <param name="blocksPerGroup">Four block counts, e.g. (3, 4, 6, 3).</param>
    /// <param name="numClasses">The number of logits.</param>
    /// <param name="batchNorm">Batch-norm settings; default decay 0.9, eps 1e-5.</param>
    /// <param name="resnetV2">Whether to use v2 (pre-activation) blocks.</param>
    /// <param name="bottleneck">Whether to use bottleneck blocks (default true, as Haiku).</param>
    /// <param name="channelsPerGroup">Four channel counts; default (256, 512, 1024, 2048).</param>
    /// <param name="useProjection">Four flags; default all true.</param>
    /// <param name="strides">Four strides; default (1, 2, 2, 2).</param>
    /// <param name="initialConv">The first convolution; default 64 channels 7×7 stride 2.</param>
    /// <param name="logitsWInit">The logits' weight initializer; default zeros.</param>
    /// <param name="name">An explicit module name, or null for <c>ResNet_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="LayerConfigurationException">A list does not have four entries, or a size is not positive.</exception>
    /// <example><code>
    /// var net = Hk.TransformWithState(((Tensor Images, bool IsTraining) b) =>
    ///     ResNet.ResNet18(numClasses: 10).SelectMany(r => r.Call(b.Images, b.IsTraining)));
    /// </code></example>
    public static Model<ResNet> Create(IReadOnlyList<int> blocksPerGroup, int numClasses, ResNetBatchNorm? batchNorm = null, bool resnetV2 = false,
        bool bottleneck = true, IReadOnlyList<int>? channelsPerGroup = null, IReadOnlyList<bool>? useProjection = null, IReadOnlyList<int>? strides = null,
        ResNetInitialConv? initialConv = null, Initializer? logitsWInit = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(blocksPerGroup);
        var channels = channelsPerGroup ?? [256, 512, 1024, 2048];
        var projection = useProjection ?? [true, true, true, true];
        var stride = strides ?? [1, 2, 2, 2];
        const string layer = nameof(ResNet);
        Four(layer, "blocksPerGroup", blocksPerGroup.Count);
        Four(layer, "channelsPerGroup", channels.Count);
        Four(layer, "useProjection", projection.Count);
        Four(layer, "strides", stride.Count);
        if (numClasses < 1) throw new LayerConfigurationException(layer, $"numClasses must be positive, got {numClasses}.");
        if (blocksPerGroup.Any(b => b < 1)) throw new LayerConfigurationException(layer, $"blocksPerGroup must be positive, got ({string.Join(", ", blocksPerGroup)}).");
        for (var i = 0; i < 4; i++) ResNetBatchNorm.ValidateBlock(layer, channels[i], stride[i], bottleneck);
        var conv = initialConv ?? new ResNetInitialConv();
        if (conv.OutputChannels < 1 || conv.KernelSize < 1 || conv.Stride < 1)
            throw new LayerConfigurationException(layer, $"the initial convolution needs positive sizes, got {conv}.");
        return Hk.Module(n => new ResNet(n, blocksPerGroup.ToArray(), numClasses, batchNorm ?? new ResNetBatchNorm(), resnetV2, bottleneck,
            channels.ToArray(), projection.ToArray(), stride.ToArray(), conv, logitsWInit ?? Initializers.Zeros()), name);
    }

    private static void Four(string layer, string what, int count)
    {
        if (count != 4) throw new LayerConfigurationException(layer, $"{what} must be of length 4, not {count}.");
    }

    /// <summary>ResNet-18 (Haiku's <c>hk.nets.ResNet18</c>): blocks (2, 2, 2, 2), plain, channels (64, 128, 256, 512), no projection in the first group.</summary>
    /// <param name="numClasses">The number of logits.</param>
    /// <param name="batchNorm">Batch-norm settings.</param>
    /// <param name="resnetV2">Whether to use v2 blocks.</param>
    /// <param name="strides">Four strides; default (1, 2, 2, 2).</param>
    /// <param name="initialConv">The first convolution.</param>
    /// <param name="name">An explicit module name.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<ResNet> ResNet18(int numClasses, ResNetBatchNorm? batchNorm = null, bool resnetV2 = false, IReadOnlyList<int>? strides = null,
        ResNetInitialConv? initialConv = null, string? name = null) =>
        Create([2, 2, 2, 2], numClasses, batchNorm, resnetV2, bottleneck: false, [64, 128, 256, 512], [false, true, true, true], strides, initialConv, name: name);

    /// <summary>ResNet-34 (Haiku's <c>hk.nets.ResNet34</c>): blocks (3, 4, 6, 3), plain, channels (64, 128, 256, 512).</summary>
    /// <param name="numClasses">The number of logits.</param>
    /// <param name="batchNorm">Batch-norm settings.</param>
    /// <param name="resnetV2">Whether to use v2 blocks.</param>
    /// <param name="strides">Four strides; default (1, 2, 2, 2).</param>
    /// <param name="initialConv">The first convolution.</param>
    /// <param name="name">An explicit module name.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<ResNet> ResNet34(int numClasses, ResNetBatchNorm? batchNorm = null, bool resnetV2 = false, IReadOnlyList<int>? strides = null,
        ResNetInitialConv? initialConv = null, string? name = null) =>
        Create([3, 4, 6, 3], numClasses, batchNorm, resnetV2, bottleneck: false, [64, 128, 256, 512], [false, true, true, true], strides, initialConv, name: name);

    /// <summary>ResNet-50 (Haiku's <c>hk.nets.ResNet50</c>): blocks (3, 4, 6, 3), bottleneck, channels (256, 512, 1024, 2048).</summary>
    /// <param name="numClasses">The number of logits.</param>
    /// <param name="batchNorm">Batch-norm settings.</param>
    /// <param name="resnetV2">Whether to use v2 blocks.</param>
    /// <param name="strides">Four strides; default (1, 2, 2, 2).</param>
    /// <param name="initialConv">The first convolution.</param>
    /// <param name="name">An explicit module name.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<ResNet> ResNet50(int numClasses, ResNetBatchNorm? batchNorm = null, bool resnetV2 = false, IReadOnlyList<int>? strides = null,
        ResNetInitialConv? initialConv = null, string? name = null) =>
        Create([3, 4, 6, 3], numClasses, batchNorm, resnetV2, bottleneck: true, [256, 512, 1024, 2048], [true, true, true, true], strides, initialConv, name: name);

    /// <summary>Classifies <paramref name="x"/>.</summary>
    /// <param name="x">Images <c>[N, H, W, C]</c> (channels last).</param>
    /// <param name="isTraining">Whether batch norm uses batch statistics and updates its averages.</param>
    /// <returns>A model producing logits <c>[N, numClasses]</c>.</returns>
    /// <exception cref="LayerInputException">The input is not a batch of channels-last images.</exception>
    public Model<Tensor> Call(Tensor x, bool isTraining)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() != 4)
            throw new LayerInputException(Name.Path, $"ResNet needs channels-last images [N, H, W, C], got shape {ShapeText.Format(x.shape)}.");
        return Method(
            from c in Conv2D.Create(InitialConv.OutputChannels, InitialConv.KernelSize, InitialConv.Stride, Pad.Same, withBias: InitialConv.WithBias, name: "initial_conv").Call(x)
            from stem in ResNetV2
                ? Hk.Pure(c)
                : BatchNorm.Create("initial_batchnorm").Call(c, isTraining).Select(Activations.Relu)
            from pooled in MaxPool.Create(3, 2, Pad.Same).Call(stem)
            from h in Hk.Aggregate(Enumerable.Range(0, 4), pooled, (acc, i) =>
                ResNetBlockGroup.Create(ChannelsPerGroup[i], BlocksPerGroup[i], Strides[i], BatchNorm, ResNetV2, Bottleneck, UseProjection[i], $"block_group_{i}")
                    .SelectMany(g => g.Call(acc, isTraining)))
            from final in ResNetV2
                ? BatchNorm.Create("final_batchnorm").Call(h, isTraining).Select(Activations.Relu)
                : Hk.Pure(h)
            from logits in Linear.Create(NumClasses, wInit: LogitsWInit, name: "logits").Call(final.mean([1, 2]))
            select logits, x);
    }
}
