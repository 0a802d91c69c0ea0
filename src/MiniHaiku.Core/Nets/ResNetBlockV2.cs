using MiniHaiku.Internal;
using MiniHaiku.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Nets;

/// <summary>
/// A ResNet v2 (pre-activation) block (Haiku's <c>hk.nets.ResNet.BlockV2</c>): (batch norm → ReLU → conv)
/// twice (3×3, 3×3) or three times as a bottleneck (1×1, 3×3 with the stride, 1×1), plus the shortcut — with
/// <see cref="UseProjection"/> a strided 1×1 <c>shortcut_conv</c> of the first pre-activation, else the input.
/// Modules: <c>batchnorm_i</c>, <c>conv_i</c>, <c>shortcut_conv</c>; convolutions without bias.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="Channels">The output channels.</param>
/// <param name="Stride">The stride of the block.</param>
/// <param name="UseProjection">Whether the shortcut is a 1×1 convolution.</param>
/// <param name="Bottleneck">Whether to use the bottleneck.</param>
/// <param name="BatchNorm">The batch norms' settings.</param>
public sealed record ResNetBlockV2(ModuleName Name, int Channels, int Stride, bool UseProjection, bool Bottleneck, ResNetBatchNorm BatchNorm) : Module(Name)
{
    /// <summary>Creates the block.</summary>
    /// <param name="channels">The output channels (divisible by 4 for a bottleneck).</param>
    /// <param name="stride">The stride.</param>
    /// <param name="useProjection">Whether the shortcut is a 1×1 convolution.</param>
    /// <param name="bottleneck">Whether to use the bottleneck.</param>
    /// <param name="batchNorm">The batch norms' settings.</param>
    /// <param name="name">An explicit module name, or null for <c>ResNetBlockV2_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<ResNetBlockV2> Create(int channels, int stride, bool useProjection, bool bottleneck, ResNetBatchNorm? batchNorm = null, string? name = null)
    {
        ResNetBatchNorm.ValidateBlock(nameof(ResNetBlockV2), channels, stride, bottleneck);
        return Hk.Module(n => new ResNetBlockV2(n, channels, stride, useProjection, bottleneck, batchNorm ?? new ResNetBatchNorm()), name);
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
            from r in Hk.Aggregate(Enumerable.Range(0, layers.Length), (H: x, Shortcut: x), (acc, i) =>
                from n in BatchNorm.Create($"batchnorm_{i}").Call(acc.H, isTraining)
                let a = Activations.Relu(n)
                from shortcut in i == 0 && UseProjection
                    ? Conv2D.Create(Channels, 1, Stride, Pad.Same, withBias: false, name: "shortcut_conv").Call(a)
                    : Hk.Pure(acc.Shortcut)
                from c in Conv2D.Create(layers[i].Channels, layers[i].Kernel, layers[i].Stride, Pad.Same, withBias: false, name: $"conv_{i}").Call(a)
                select (c, shortcut))
            select r.H.Plus(r.Shortcut), x);
    }
}
