using MiniHaiku.Internal;
using MiniHaiku.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Nets;

/// <summary>
/// A ResNet v1 block (Haiku's <c>hk.nets.ResNet.BlockV1</c>): (conv → batch norm → ReLU) twice (3×3, 3×3) or,
/// as a bottleneck, three times (1×1 to channels/4, 3×3 with the stride, 1×1 back to channels, its batch norm's
/// scale starting at 0); the last ReLU comes after adding the shortcut (a strided 1×1 <c>shortcut_conv</c> and
/// <c>shortcut_batchnorm</c> with <see cref="UseProjection"/>, else the input).
/// Modules: <c>conv_i</c>, <c>batchnorm_i</c>, <c>shortcut_conv</c>, <c>shortcut_batchnorm</c>; convolutions without bias.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="Channels">The output channels.</param>
/// <param name="Stride">The stride of the block (on the first 3×3, or the 3×3 of a bottleneck).</param>
/// <param name="UseProjection">Whether the shortcut is a 1×1 convolution.</param>
/// <param name="Bottleneck">Whether to use the 1×1–3×3–1×1 bottleneck.</param>
/// <param name="BatchNorm">The batch norms' settings.</param>
public sealed record ResNetBlockV1(ModuleName Name, int Channels, int Stride, bool UseProjection, bool Bottleneck, ResNetBatchNorm BatchNorm) : Module(Name)
{
    /// <summary>Creates the block.</summary>
    /// <param name="channels">The output channels (divisible by 4 for a bottleneck).</param>
    /// <param name="stride">The stride.</param>
    /// <param name="useProjection">Whether the shortcut is a 1×1 convolution.</param>
    /// <param name="bottleneck">Whether to use the bottleneck.</param>
    /// <param name="batchNorm">The batch norms' settings; default decay 0.9, eps 1e-5 (as <see cref="ResNet"/> passes).</param>
    /// <param name="name">An explicit module name, or null for <c>ResNetBlockV1_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<ResNetBlockV1> Create(int channels, int stride, bool useProjection, bool bottleneck, ResNetBatchNorm? batchNorm = null, string? name = null)
    {
        ResNetBatchNorm.ValidateBlock(nameof(ResNetBlockV1), channels, stride, bottleneck);
        return Hk.Module(n => new ResNetBlockV1(n, channels, stride, useProjection, bottleneck, batchNorm ?? new ResNetBatchNorm()), name);
    }

    /// <summary>Runs the block.</summary>
    /// <param name="x">The input, <c>[N, H, W, C]</c>.</param>
    /// <param name="isTraining">Whether batch norm uses batch statistics and updates its averages.</param>
    /// <returns>A model producing <c>[N, H/stride, W/stride, channels]</c>.</returns>
    public Model<Tensor> Call(Tensor x, bool isTraining)
    {
        ArgumentNullException.ThrowIfNull(x);
        var layers = ResNetBatchNorm.Layers(Channels, Stride, Bottleneck);
        return Method(
            from shortcut in UseProjection
                ? from s in Conv2D.Create(Channels, 1, Stride, Pad.Same, withBias: false, name: "shortcut_conv").Call(x)
                  from n in BatchNorm.Create("shortcut_batchnorm").Call(s, isTraining)
                  select n
                : Hk.Pure(x)
            from body in Hk.Aggregate(Enumerable.Range(0, layers.Length), x, (h, i) =>
                from c in Conv2D.Create(layers[i].Channels, layers[i].Kernel, layers[i].Stride, Pad.Same, withBias: false, name: $"conv_{i}").Call(h)
                from n in BatchNorm.Create($"batchnorm_{i}", zeroScale: Bottleneck && i == 2).Call(c, isTraining)
                select i < layers.Length - 1 ? Activations.Relu(n) : n)
            select Activations.Relu(body.Plus(shortcut)), x);
    }
}

/// <summary>
/// The batch-norm settings of a <see cref="ResNet"/> (Haiku's <c>bn_config</c>): decay 0.9 and eps 1e-5 by
/// default, scale and offset learned.
/// </summary>
/// <param name="DecayRate">The moving averages' decay.</param>
/// <param name="Eps">Added to the variance.</param>
/// <param name="CreateScale">Whether to learn a scale.</param>
/// <param name="CreateOffset">Whether to learn an offset.</param>
public sealed record ResNetBatchNorm(double DecayRate = 0.9, double Eps = 1e-5, bool CreateScale = true, bool CreateOffset = true)
{
    internal Model<BatchNorm> Create(string name, bool zeroScale = false) =>
        MiniHaiku.Layers.BatchNorm.Create(CreateScale, CreateOffset, DecayRate, Eps, scaleInit: zeroScale ? Initializers.Zeros() : null, name: name);

    internal static (int Channels, int Kernel, int Stride)[] Layers(int channels, int stride, bool bottleneck) => bottleneck
        ? [(channels / 4, 1, 1), (channels / 4, 3, stride), (channels, 1, 1)]
        : [(channels, 3, stride), (channels, 3, 1)];

    internal static void ValidateBlock(string layer, int channels, int stride, bool bottleneck)
    {
        if (channels < 1 || (bottleneck && channels % 4 != 0))
            throw new LayerConfigurationException(layer, $"needs positive channels{(bottleneck ? " divisible by 4 (bottleneck)" : "")}, got {channels}.");
        if (stride < 1) throw new LayerConfigurationException(layer, $"stride must be positive, got {stride}.");
    }
}
