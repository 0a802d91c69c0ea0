using MiniHaiku.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Nets;

/// <summary>
/// A MobileNet v1 block (Haiku's <c>hk.nets.MobileNetV1Block</c>): a 3×3 depthwise convolution
/// <c>depthwise_conv</c> (padding 1, the block's stride; a <see cref="Conv2D"/> with one group per channel, so its
/// <c>w</c> is Haiku's <c>[3, 3, 1, C]</c>), batch norm, ReLU, a 1×1 <c>pointwise_conv</c>, batch norm, ReLU.
/// Without batch norm the convolutions get biases.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="Channels">The pointwise convolution's output channels.</param>
/// <param name="Stride">The depthwise convolution's stride.</param>
/// <param name="UseBn">Whether to use batch norm (decay 0.999) instead of biases.</param>
public sealed record MobileNetV1Block(ModuleName Name, int Channels, int Stride, bool UseBn) : Module(Name)
{
    /// <summary>Creates the block.</summary>
    /// <param name="channels">The output channels (positive).</param>
    /// <param name="stride">The depthwise stride (positive).</param>
    /// <param name="useBn">Whether to use batch norm.</param>
    /// <param name="name">An explicit module name, or null for <c>MobileNetV1Block_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<MobileNetV1Block> Create(int channels, int stride, bool useBn = true, string? name = null)
    {
        if (channels < 1 || stride < 1)
            throw new LayerConfigurationException(nameof(MobileNetV1Block), $"needs positive channels and stride, got {channels} and {stride}.");
        return Hk.Module(n => new MobileNetV1Block(n, channels, stride, useBn), name);
    }

    /// <summary>Runs the block.</summary>
    /// <param name="x">The input, <c>[N, H, W, C]</c>.</param>
    /// <param name="isTraining">Whether batch norm uses batch statistics and updates its averages.</param>
    /// <returns>A model producing <c>[N, H/stride, W/stride, channels]</c>.</returns>
    public Model<Tensor> Call(Tensor x, bool isTraining)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() != 4)
            throw new LayerInputException(Name.Path, $"MobileNetV1Block needs channels-last images [N, H, W, C], got shape {ShapeText.Format(x.shape)}.");
        var inChannels = (int)x.shape[^1];
        return Method(
            from d in Conv2D.Create(inChannels, 3, Stride, Pad.Explicit(1, 1), groups: inChannels, withBias: !UseBn, name: "depthwise_conv").Call(x)
            from n1 in MobileNetV1.Normalize(UseBn, d, isTraining)
            from p in Conv2D.Create(Channels, 1, 1, Pad.Valid, withBias: !UseBn, name: "pointwise_conv").Call(Activations.Relu(n1))
            from n2 in MobileNetV1.Normalize(UseBn, p, isTraining)
            select Activations.Relu(n2), x);
    }
}
