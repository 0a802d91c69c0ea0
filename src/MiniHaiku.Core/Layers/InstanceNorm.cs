using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// Instance normalisation (Haiku's <c>hk.InstanceNorm</c>): each example's channels are normalised separately over the
/// spatial axes (a <see cref="LayerNorm"/> over every axis but the batch and channel axes, with the parameters on the
/// channel axis). <c>scale</c> and <c>offset</c> (ones and zeros) have shape <c>[C]</c> channels last and, as in
/// Haiku, <c>[1, C, 1, …]</c> channels first. Equals <c>torch.nn.InstanceNorm*d(affine: true)</c> without running
/// statistics. Without <see cref="CreateScale"/>/<see cref="CreateOffset"/> they can be given at call time.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="CreateScale">Whether to learn <c>scale</c>.</param>
/// <param name="CreateOffset">Whether to learn <c>offset</c>.</param>
/// <param name="Eps">Added to the variance.</param>
/// <param name="ScaleInit">The initializer of <c>scale</c>; null for ones.</param>
/// <param name="OffsetInit">The initializer of <c>offset</c>; null for zeros.</param>
/// <param name="DataFormat">Where the channels are.</param>
/// <example>
/// <code>
/// return InstanceNorm.Create().Call(x);   // x [N, H, W, C]: per example and channel, over H and W
/// </code>
/// </example>
public sealed record InstanceNorm(ModuleName Name, bool CreateScale, bool CreateOffset, double Eps,
    Initializer? ScaleInit, Initializer? OffsetInit, DataFormat DataFormat) : Layer(Name)
{
    /// <summary>Creates an instance normalisation.</summary>
    /// <param name="createScale">Whether to learn a scale.</param>
    /// <param name="createOffset">Whether to learn an offset.</param>
    /// <param name="eps">Added to the variance (positive).</param>
    /// <param name="scaleInit">The initializer of <c>scale</c>.</param>
    /// <param name="offsetInit">The initializer of <c>offset</c>.</param>
    /// <param name="dataFormat">Default channels last, as in Haiku.</param>
    /// <param name="name">An explicit module name, or null for <c>InstanceNorm_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="LayerConfigurationException"><paramref name="eps"/> is not positive.</exception>
    public static Model<InstanceNorm> Create(bool createScale = true, bool createOffset = true, double eps = 1e-5,
        Initializer? scaleInit = null, Initializer? offsetInit = null, DataFormat dataFormat = DataFormat.ChannelsLast, string? name = null)
    {
        Normalization.RequirePositive(nameof(InstanceNorm), eps);
        return Hk.Module(n => new InstanceNorm(n, createScale, createOffset, eps, scaleInit, offsetInit, dataFormat), name);
    }

    /// <summary>The call without the extra arguments: <c>Call(x)</c>.</summary>
    /// <param name="x">The input.</param>
    /// <returns>A model producing the output.</returns>
    protected override Model<Tensor> Forward(Tensor x) => Body(x, null, null);

    /// <summary>Normalises every channel of every example of <paramref name="x"/> over its spatial axes.</summary>
    /// <param name="x">The input, <c>[N, spatial…, C]</c> or <c>[N, C, spatial…]</c> with at least one spatial axis.</param>
    /// <param name="scale">A scale given at call time (broadcast, same dtype); only without <see cref="CreateScale"/>. Null for none.</param>
    /// <param name="offset">An offset given at call time; only without <see cref="CreateOffset"/>. Null for none.</param>
    /// <returns>A model producing the normalised input, same shape.</returns>
    /// <exception cref="LayerInputException">Fewer than three axes, or a given scale/offset that does not fit.</exception>
    public Model<Tensor> Call(Tensor x, Tensor? scale, Tensor? offset)
    {
        ArgumentNullException.ThrowIfNull(x);
        return Method(Body(x, scale, offset), x);
    }

    private Model<Tensor> Body(Tensor x, Tensor? scale, Tensor? offset)
    {
        var rank = (int)x.dim();
        if (rank < 3)
            throw new LayerInputException(Name.Path,
                $"InstanceNorm needs a batch, at least one spatial axis and a channel axis ({(DataFormat == DataFormat.ChannelsLast ? "[N, ..., C]" : "[N, C, ...]")}), got shape {ShapeText.Format(x.shape)}.");
        var channelAxis = DataFormat == DataFormat.ChannelsLast ? rank - 1 : 1;
        var spatial = Enumerable.Range(1, rank - 1).Where(a => a != channelAxis).Select(a => (long)a).ToArray();
        var shape = NormalizationParams.Shape(Name.Path, nameof(InstanceNorm), x, [channelAxis]);
        return
            from s in NormalizationParams.LearnedOrGiven(Name.Path, nameof(InstanceNorm), "scale", CreateScale, scale, shape, ScaleInit ?? Initializers.Ones(), x)
            from o in NormalizationParams.LearnedOrGiven(Name.Path, nameof(InstanceNorm), "offset", CreateOffset, offset, shape, OffsetInit ?? Initializers.Zeros(), x)
            select NormalizationParams.Affine(LayerNorm.Normalize(x, spatial, Eps), s, o);
    }
}

public static partial class LayerExtensions
{
    /// <summary>Creates the instance normalisation and calls it.</summary>
    /// <param name="norm">The model creating the module.</param>
    /// <param name="x">The input.</param>
    /// <param name="scale">A scale given at call time, or null.</param>
    /// <param name="offset">An offset given at call time, or null.</param>
    /// <returns>A model producing the output.</returns>
    public static Model<Tensor> Call(this Model<InstanceNorm> norm, Tensor x, Tensor? scale, Tensor? offset)
    {
        ArgumentNullException.ThrowIfNull(norm);
        return norm.SelectMany(n => n.Call(x, scale, offset));
    }
}
