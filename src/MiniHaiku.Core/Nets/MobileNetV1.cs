using MiniHaiku.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Nets;

/// <summary>
/// MobileNet v1 (Haiku's <c>hk.nets.MobileNetV1</c>, Howard et al. 2017) over channels-last images: a 3×3
/// stride-2 VALID <see cref="Conv2D"/> of 32 channels, batch norm, ReLU, one <see cref="MobileNetV1Block"/> per
/// (stride, channels) pair, the spatial mean, and a <see cref="Linear"/> named <c>logits</c>. Needs
/// <see cref="Hk.TransformWithState{TIn, TOut}"/> when using batch norm.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="Strides">The blocks' strides.</param>
/// <param name="Channels">The blocks' output channels.</param>
/// <param name="NumClasses">The number of logits.</param>
/// <param name="UseBn">Whether to use batch norm (decay 0.999) instead of convolution biases.</param>
public sealed record MobileNetV1(ModuleName Name, IReadOnlyList<int> Strides, IReadOnlyList<int> Channels, int NumClasses, bool UseBn) : Module(Name)
{
    /// <summary>Creates the network; the defaults are Haiku's (the 13 blocks of the paper, 1000 classes).</summary>
    /// <param name="strides">The blocks' strides; default (1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1).</param>
    /// <param name="channels">The blocks' channels; default (64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024).</param>
    /// <param name="numClasses">The number of logits.</param>
    /// <param name="useBn">Whether to use batch norm.</param>
    /// <param name="name">An explicit module name, or null for <c>MobileNetV1_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="LayerConfigurationException">The lists differ in length, or a size is not positive.</exception>
    public static Model<MobileNetV1> Create(IReadOnlyList<int>? strides = null, IReadOnlyList<int>? channels = null, int numClasses = 1000,
        bool useBn = true, string? name = null)
    {
        var s = strides ?? [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1];
        var c = channels ?? [64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024];
        if (s.Count != c.Count)
            throw new LayerConfigurationException(nameof(MobileNetV1), $"strides and channels must have the same length, got {s.Count} and {c.Count}.");
        if (s.Any(v => v < 1) || c.Any(v => v < 1) || numClasses < 1)
            throw new LayerConfigurationException(nameof(MobileNetV1), "strides, channels and numClasses must be positive.");
        return Hk.Module(n => new MobileNetV1(n, s.ToArray(), c.ToArray(), numClasses, useBn), name);
    }

    /// <summary>Classifies <paramref name="x"/>.</summary>
    /// <param name="x">Images <c>[N, H, W, C]</c>, at least 3×3.</param>
    /// <param name="isTraining">Whether batch norm uses batch statistics and updates its averages.</param>
    /// <returns>A model producing logits <c>[N, numClasses]</c>.</returns>
    /// <exception cref="LayerInputException">The input is not a batch of channels-last images.</exception>
    public Model<Tensor> Call(Tensor x, bool isTraining)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() != 4)
            throw new LayerInputException(Name.Path, $"MobileNetV1 needs channels-last images [N, H, W, C], got shape {ShapeText.Format(x.shape)}.");
        return Method(
            from c in Conv2D.Create(32, 3, 2, Pad.Valid, withBias: !UseBn).Call(x)
            from n in Normalize(UseBn, c, isTraining)
            from h in Hk.Aggregate(Enumerable.Range(0, Strides.Count), Activations.Relu(n), (acc, i) =>
                MobileNetV1Block.Create(Channels[i], Strides[i], UseBn).SelectMany(b => b.Call(acc, isTraining)))
            from flat in Flatten.Create().Call(h.mean([1, 2]))
            from logits in Linear.Create(NumClasses, name: "logits").Call(flat)
            select logits, x);
    }

    internal static Model<Tensor> Normalize(bool useBn, Tensor x, bool isTraining) =>
        useBn ? BatchNorm.Create(decayRate: 0.999).Call(x, isTraining) : Hk.Pure(x);
}
