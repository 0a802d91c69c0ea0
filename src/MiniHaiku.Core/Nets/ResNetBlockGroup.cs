using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Nets;

/// <summary>
/// A stage of a <see cref="ResNet"/> (Haiku's <c>hk.nets.ResNet.BlockGroup</c>): blocks <c>block_0</c> …
/// <c>block_{n−1}</c>; the first has the stride and (optionally) the projection shortcut.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="Channels">The output channels of every block.</param>
/// <param name="NumBlocks">How many blocks.</param>
/// <param name="Stride">The first block's stride.</param>
/// <param name="BatchNorm">The batch norms' settings.</param>
/// <param name="ResNetV2">Whether to use <see cref="ResNetBlockV2"/> instead of <see cref="ResNetBlockV1"/>.</param>
/// <param name="Bottleneck">Whether the blocks are bottlenecks.</param>
/// <param name="UseProjection">Whether the first block's shortcut is a 1×1 convolution.</param>
public sealed record ResNetBlockGroup(ModuleName Name, int Channels, int NumBlocks, int Stride, ResNetBatchNorm BatchNorm, bool ResNetV2,
    bool Bottleneck, bool UseProjection) : Module(Name)
{
    /// <summary>Creates the stage.</summary>
    /// <param name="channels">The output channels.</param>
    /// <param name="numBlocks">How many blocks (positive).</param>
    /// <param name="stride">The first block's stride.</param>
    /// <param name="batchNorm">The batch norms' settings.</param>
    /// <param name="resnetV2">Whether to use v2 blocks.</param>
    /// <param name="bottleneck">Whether the blocks are bottlenecks.</param>
    /// <param name="useProjection">Whether the first block projects its shortcut.</param>
    /// <param name="name">An explicit module name, or null for <c>ResNetBlockGroup_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<ResNetBlockGroup> Create(int channels, int numBlocks, int stride, ResNetBatchNorm? batchNorm = null, bool resnetV2 = false,
        bool bottleneck = true, bool useProjection = true, string? name = null)
    {
        if (numBlocks < 1) throw new LayerConfigurationException(nameof(ResNetBlockGroup), $"numBlocks must be positive, got {numBlocks}.");
        ResNetBatchNorm.ValidateBlock(nameof(ResNetBlockGroup), channels, stride, bottleneck);
        return Hk.Module(n => new ResNetBlockGroup(n, channels, numBlocks, stride, batchNorm ?? new ResNetBatchNorm(), resnetV2, bottleneck, useProjection), name);
    }

    /// <summary>Runs the blocks in order.</summary>
    /// <param name="x">The input, <c>[N, H, W, C]</c>.</param>
    /// <param name="isTraining">Whether batch norm uses batch statistics and updates its averages.</param>
    /// <returns>A model producing the last block's output.</returns>
    public Model<Tensor> Call(Tensor x, bool isTraining)
    {
        ArgumentNullException.ThrowIfNull(x);
        return Method(Hk.Aggregate(Enumerable.Range(0, NumBlocks), x, (h, i) =>
        {
            var stride = i == 0 ? Stride : 1;
            var project = i == 0 && UseProjection;
            return ResNetV2
                ? ResNetBlockV2.Create(Channels, stride, project, Bottleneck, BatchNorm, $"block_{i}").SelectMany(b => b.Call(h, isTraining))
                : ResNetBlockV1.Create(Channels, stride, project, Bottleneck, BatchNorm, $"block_{i}").SelectMany(b => b.Call(h, isTraining));
        }), x);
    }
}
