using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// Group normalisation (Haiku's <c>hk.GroupNorm</c>): the channels are split into
/// <see cref="Groups"/> groups, and each example's group is normalised over its channels and all
/// spatial positions. <c>scale</c> and <c>offset</c> have shape <c>[C]</c> (defaults ones and zeros).
/// Inputs are <c>[N, ..., C]</c> (channels last, Haiku's default) or <c>[N, C, ...]</c>.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="Groups">The number of groups (divides the channel count).</param>
/// <param name="CreateScale">Whether to learn <c>scale</c>.</param>
/// <param name="CreateOffset">Whether to learn <c>offset</c>.</param>
/// <param name="Eps">Added to the variance.</param>
/// <param name="ScaleInit">The initializer of <c>scale</c>; null for ones.</param>
/// <param name="OffsetInit">The initializer of <c>offset</c>; null for zeros.</param>
/// <param name="DataFormat">Where the channels are.</param>
/// <example>
/// <code>
/// return GroupNorm.Create(groups: 4).Call(x);   // x [N, ..., C] with C divisible by 4
/// </code>
/// </example>
public sealed record GroupNorm(ModuleName Name, int Groups, bool CreateScale, bool CreateOffset, double Eps,
    Initializer? ScaleInit, Initializer? OffsetInit, DataFormat DataFormat) : Layer(Name)
{
    /// <summary>Creates a group normalisation.</summary>
    /// <param name="groups">The number of groups (positive).</param>
    /// <param name="createScale">Whether to learn a scale.</param>
    /// <param name="createOffset">Whether to learn an offset.</param>
    /// <param name="eps">Added to the variance (positive).</param>
    /// <param name="scaleInit">The initializer of <c>scale</c>.</param>
    /// <param name="offsetInit">The initializer of <c>offset</c>.</param>
    /// <param name="dataFormat">Default channels last.</param>
    /// <param name="name">An explicit module name, or null for <c>GroupNorm_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<GroupNorm> Create(int groups, bool createScale = true, bool createOffset = true, double eps = 1e-5,
        Initializer? scaleInit = null, Initializer? offsetInit = null, DataFormat dataFormat = DataFormat.ChannelsLast, string? name = null)
    {
        if (groups < 1) throw new LayerConfigurationException(nameof(GroupNorm), $"groups must be positive, got {groups}.");
        Normalization.RequirePositive(nameof(GroupNorm), eps);
        NormalizationInitChecks.Require(nameof(GroupNorm), createScale, scaleInit, createOffset, offsetInit);
        return Hk.Module(n => new GroupNorm(n, groups, createScale, createOffset, eps, scaleInit, offsetInit, dataFormat), name);
    }

    /// <summary>Normalises <paramref name="x"/>.</summary>
    /// <param name="x">The input, batched, with at least a batch and a channel axis.</param>
    /// <returns>A model producing the normalised input, same shape.</returns>
    /// <exception cref="LayerInputException">The rank is below 2 or the channels do not divide into groups.</exception>
    protected override Model<Tensor> Forward(Tensor x)
    {
        LayerChecks.RequireFloatingInput(Name.Path, nameof(GroupNorm), x);
        var rank = x.dim();
        if (rank < 2) throw new LayerInputException(Name.Path, $"GroupNorm needs a batched input [N, ..., C] or [N, C, ...], got shape {ShapeText.Format(x.shape)}.");
        var channelAxis = DataFormat == DataFormat.ChannelsLast ? rank - 1 : 1;
        var channels = x.shape[channelAxis];
        if (channels % Groups != 0)
            throw new LayerInputException(Name.Path, $"GroupNorm with {Groups} groups needs channels divisible by {Groups}, got {channels} (input shape {ShapeText.Format(x.shape)}).");
        var dtype = x.dtype;
        return
            from scale in Normalization.Optional(CreateScale, "scale", channels, ScaleInit ?? Initializers.Ones(), dtype)
            from offset in Normalization.Optional(CreateOffset, "offset", channels, OffsetInit ?? Initializers.Zeros(), dtype)
            select Normalization.Affine(Normalize(x, channelAxis), scale, offset, channelAxis, rank);
    }

    private Tensor Normalize(Tensor x, long channelAxis)
    {
        var channelsFirst = channelAxis == 1 ? x : x.movedim([channelAxis], [1]);
        var shape = channelsFirst.shape;
        var grouped = channelsFirst.reshape(shape[0], Groups, -1);
        var normalized = LayerNorm.Normalize(grouped, [2], Eps).reshape(shape);
        return channelAxis == 1 ? normalized : normalized.movedim([1], [channelAxis]);
    }
}
