using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// Batch normalisation (Haiku's <c>hk.BatchNorm</c>) with moving averages kept in state, so it needs
/// <see cref="Hk.TransformWithState{TIn, TOut}"/>. Normalises over every axis except the channel axis.
/// </summary>
/// <remarks>
/// <para>Parameters: <c>scale</c> and <c>offset</c> of shape <c>[C]</c> (ones and zeros). State:
/// <c>mean_ema</c> (starts at zeros) and <c>var_ema</c> (starts at ones), shape <c>[C]</c>, at
/// <c>{path}/__call__/mean_ema</c> and <c>…/var_ema</c>.</para>
/// <para>Training (<c>isTraining</c> true) normalises with the batch's mean and (biased) variance and
/// updates <c>ema ← decay·ema + (1 − decay)·stat</c>, using the unbiased variance for <c>var_ema</c>:
/// exactly <c>torch.nn.BatchNorm2d</c> with <c>momentum = 1 − decay</c>. Evaluation normalises with the
/// moving averages; it works at <c>Init</c> too (with the fresh averages), where Haiku fails.
/// Differences from Haiku: no zero-debiasing of the averages, channel-shaped (not broadcast-shaped)
/// parameters, and Haiku's <c>mean_ema/average</c> state becomes <c>mean_ema</c>.</para>
/// <para>With <see cref="Axis"/> (Haiku's <c>axis</c>) it reduces over those axes instead (<see cref="DataFormat"/> is
/// then not used): the statistics, averages, scale and offset are per position of the other axes, with their
/// sizes as shape (e.g. <c>[T, C]</c> for <c>axis: [0]</c> on <c>[N, T, C]</c>).</para>
/// </remarks>
/// <param name="Name">The module's name.</param>
/// <param name="CreateScale">Whether to learn <c>scale</c>.</param>
/// <param name="CreateOffset">Whether to learn <c>offset</c>.</param>
/// <param name="DecayRate">The moving averages' decay (torch's momentum is 1 − decay).</param>
/// <param name="Eps">Added to the variance.</param>
/// <param name="ScaleInit">The initializer of <c>scale</c>; null for ones.</param>
/// <param name="OffsetInit">The initializer of <c>offset</c>; null for zeros.</param>
/// <param name="DataFormat">Where the channels are.</param>
/// <param name="Axis">Haiku's <c>axis</c>: the axes to reduce over; null for all but the channel axis.</param>
/// <example>
/// <code>
/// // Needs Hk.TransformWithState: training normalises with the batch statistics and updates mean_ema, var_ema.
/// return BatchNorm.Create(decayRate: 0.9).Call(x, isTraining: true);
/// </code>
/// </example>
public sealed partial record BatchNorm(ModuleName Name, bool CreateScale, bool CreateOffset, double DecayRate, double Eps,
    Initializer? ScaleInit, Initializer? OffsetInit, DataFormat DataFormat, IReadOnlyList<int>? Axis = null) : Module(Name)
{
    /// <summary>Creates a batch normalisation.</summary>
    /// <param name="createScale">Whether to learn a scale.</param>
    /// <param name="createOffset">Whether to learn an offset.</param>
    /// <param name="decayRate">The moving averages' decay in [0, 1]; default 0.9 (torch's momentum 0.1).</param>
    /// <param name="eps">Added to the variance (positive).</param>
    /// <param name="scaleInit">The initializer of <c>scale</c>.</param>
    /// <param name="offsetInit">The initializer of <c>offset</c>.</param>
    /// <param name="dataFormat">Default channels last (Haiku); <see cref="DataFormat.ChannelsFirst"/> for NCHW.</param>
    /// <param name="axis">Haiku's <c>axis</c>: the axes to reduce over (negative counts from the end); default all but the channel axis.</param>
    /// <param name="name">An explicit module name, or null for <c>BatchNorm_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<BatchNorm> Create(bool createScale = true, bool createOffset = true, double decayRate = 0.9, double eps = 1e-5,
        Initializer? scaleInit = null, Initializer? offsetInit = null, DataFormat dataFormat = DataFormat.ChannelsLast,
        IReadOnlyList<int>? axis = null, string? name = null)
    {
        if (!(decayRate >= 0 && decayRate <= 1)) throw new LayerConfigurationException(nameof(BatchNorm), $"decayRate must be in [0, 1], got {decayRate}.");
        Normalization.RequirePositive(nameof(BatchNorm), eps);
        NormalizationInitChecks.Require(nameof(BatchNorm), createScale, scaleInit, createOffset, offsetInit);
        Normalization.RequireAxes(nameof(BatchNorm), axis);
        var a = axis?.ToArray();
        return Hk.Module(n => new BatchNorm(n, createScale, createOffset, decayRate, eps, scaleInit, offsetInit, dataFormat, a), name);
    }

    /// <summary>Normalises <paramref name="x"/>, updating the moving averages when training.</summary>
    /// <param name="x">The input, <c>[N, ..., C]</c> or <c>[N, C, ...]</c>.</param>
    /// <param name="isTraining">True: batch statistics and state update. False: the moving averages.</param>
    /// <returns>A model producing the normalised input, same shape.</returns>
    /// <exception cref="LayerInputException">The rank is below 2, or training sees one value per channel.</exception>
    public Model<Tensor> Call(Tensor x, bool isTraining)
    {
        ArgumentNullException.ThrowIfNull(x);
        LayerChecks.RequireFloatingInput(Name.Path, nameof(BatchNorm), x);
        if (Axis is not null) return CallOverAxes(x, isTraining);
        var rank = x.dim();
        if (rank < 2) throw new LayerInputException(Name.Path, $"BatchNorm needs an input with a batch and a channel axis, got shape {ShapeText.Format(x.shape)}.");
        var channelAxis = DataFormat == DataFormat.ChannelsLast ? rank - 1 : 1;
        var channels = x.shape[channelAxis];
        var count = x.numel() / Math.Max(channels, 1);
        if (isTraining && count < 2)
            throw new LayerInputException(Name.Path, $"BatchNorm in training needs more than one value per channel to estimate a variance, got input shape {ShapeText.Format(x.shape)}.");
        var dtype = x.dtype;
        return Method(
            from meanEma in Hk.GetState("mean_ema", [channels], Initializers.Zeros(), dtype)
            from varEma in Hk.GetState("var_ema", [channels], Initializers.Ones(), dtype)
            from scale in Normalization.Optional(CreateScale, "scale", channels, ScaleInit ?? Initializers.Ones(), dtype)
            from offset in Normalization.Optional(CreateOffset, "offset", channels, OffsetInit ?? Initializers.Zeros(), dtype)
            from y in isTraining ? Train(x, channelAxis, rank, meanEma, varEma, scale, offset) : Hk.Pure(Evaluate(x, channelAxis, rank, meanEma, varEma, scale, offset))
            select y, x);
    }

    // One fused native batch_norm (channels on axis 1), as torch.nn.BatchNorm2d does.
    private Tensor Normalize(Tensor x, long channelAxis, long rank, Tensor runningMean, Tensor runningVar, Tensor? scale, Tensor? offset, bool training)
    {
        var permutation = ChannelsFirstPermutation(channelAxis, rank);
        var input = permutation is null ? x : x.permute(permutation);
        var y = torch.nn.functional.batch_norm(input, runningMean, runningVar, scale, offset, training, 1 - DecayRate, Eps);
        return permutation is null ? y : y.permute(InversePermutation(permutation));
    }

    private Tensor Evaluate(Tensor x, long channelAxis, long rank, Tensor meanEma, Tensor varEma, Tensor? scale, Tensor? offset) =>
        Normalize(x, channelAxis, rank, meanEma, varEma, scale, offset, training: false);

    // batch_norm updates running_mean/var in place (ema ← (1 − momentum)·ema + momentum·stat, unbiased
    // variance): give it fresh copies, which then are the new state; the old state is never touched.
    private Model<Tensor> Train(Tensor x, long channelAxis, long rank, Tensor meanEma, Tensor varEma, Tensor? scale, Tensor? offset)
    {
        Tensor newMean, newVar;
        using (torch.no_grad())
        {
            newMean = meanEma.detach().clone();
            newVar = varEma.detach().clone();
        }
        var y = Normalize(x, channelAxis, rank, newMean, newVar, scale, offset, training: true);
        return
            from m in Hk.SetState("mean_ema", newMean)
            from v in Hk.SetState("var_ema", newVar)
            select y;
    }

    private static long[]? ChannelsFirstPermutation(long channelAxis, long rank)
    {
        if (channelAxis == 1) return null;
        var permutation = new long[rank];
        permutation[0] = 0;
        permutation[1] = channelAxis;
        for (long a = 1, i = 2; a < rank; a++)
            if (a != channelAxis) permutation[i++] = a;
        return permutation;
    }

    private static long[] InversePermutation(long[] permutation)
    {
        var inverse = new long[permutation.Length];
        for (var i = 0; i < permutation.Length; i++) inverse[permutation[i]] = i;
        return inverse;
    }
}

/// <summary>The one-step forms (create and call) of the layers whose call takes more than the input; tensor-to-tensor layers use <see cref="LayerModelExtensions.Call{TLayer}(Model{TLayer}, Tensor)"/>.</summary>
/// <example>
/// <code>
/// return MLP.Create([8, 4]).Call(x, isTraining: false);   // create and call in one step
/// </code>
/// </example>
public static partial class LayerExtensions
{
    /// <summary>Creates the batch normalisation and calls it.</summary>
    /// <param name="norm">The model creating the module.</param>
    /// <param name="x">The input.</param>
    /// <param name="isTraining">Whether to use batch statistics and update the moving averages.</param>
    /// <returns>A model producing the output.</returns>
    public static Model<Tensor> Call(this Model<BatchNorm> norm, Tensor x, bool isTraining)
    {
        ArgumentNullException.ThrowIfNull(norm);
        return norm.SelectMany(n => n.Call(x, isTraining));
    }
}
