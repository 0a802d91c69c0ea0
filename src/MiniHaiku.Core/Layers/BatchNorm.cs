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
/// </remarks>
/// <param name="Name">The module's name.</param>
/// <param name="CreateScale">Whether to learn <c>scale</c>.</param>
/// <param name="CreateOffset">Whether to learn <c>offset</c>.</param>
/// <param name="DecayRate">The moving averages' decay (torch's momentum is 1 − decay).</param>
/// <param name="Eps">Added to the variance.</param>
/// <param name="ScaleInit">The initializer of <c>scale</c>; null for ones.</param>
/// <param name="OffsetInit">The initializer of <c>offset</c>; null for zeros.</param>
/// <param name="DataFormat">Where the channels are.</param>
public sealed record BatchNorm(ModuleName Name, bool CreateScale, bool CreateOffset, double DecayRate, double Eps,
    Initializer? ScaleInit, Initializer? OffsetInit, DataFormat DataFormat) : Module(Name)
{
    /// <summary>Creates a batch normalisation.</summary>
    /// <param name="createScale">Whether to learn a scale.</param>
    /// <param name="createOffset">Whether to learn an offset.</param>
    /// <param name="decayRate">The moving averages' decay in [0, 1]; default 0.9 (torch's momentum 0.1).</param>
    /// <param name="eps">Added to the variance (positive).</param>
    /// <param name="scaleInit">The initializer of <c>scale</c>.</param>
    /// <param name="offsetInit">The initializer of <c>offset</c>.</param>
    /// <param name="dataFormat">Default channels last (Haiku); <see cref="DataFormat.ChannelsFirst"/> for NCHW.</param>
    /// <param name="name">An explicit module name, or null for <c>BatchNorm_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<BatchNorm> Create(bool createScale = true, bool createOffset = true, double decayRate = 0.9, double eps = 1e-5,
        Initializer? scaleInit = null, Initializer? offsetInit = null, DataFormat dataFormat = DataFormat.ChannelsLast, string? name = null)
    {
        if (!(decayRate >= 0 && decayRate <= 1)) throw new LayerConfigurationException(nameof(BatchNorm), $"decayRate must be in [0, 1], got {decayRate}.");
        Normalization.RequirePositive(nameof(BatchNorm), eps);
        return Hk.Module(n => new BatchNorm(n, createScale, createOffset, decayRate, eps, scaleInit, offsetInit, dataFormat), name);
    }

    /// <summary>Normalises <paramref name="x"/>, updating the moving averages when training.</summary>
    /// <param name="x">The input, <c>[N, ..., C]</c> or <c>[N, C, ...]</c>.</param>
    /// <param name="isTraining">True: batch statistics and state update. False: the moving averages.</param>
    /// <returns>A model producing the normalised input, same shape.</returns>
    /// <exception cref="LayerInputException">The rank is below 2, or training sees one value per channel.</exception>
    public Model<Tensor> Call(Tensor x, bool isTraining)
    {
        ArgumentNullException.ThrowIfNull(x);
        var rank = x.dim();
        if (rank < 2) throw new LayerInputException(Name.Path, $"BatchNorm needs an input with a batch and a channel axis, got shape {ShapeText.Format(x.shape)}.");
        var channelAxis = DataFormat == DataFormat.ChannelsLast ? rank - 1 : 1;
        var channels = x.shape[channelAxis];
        var axes = Enumerable.Range(0, (int)rank).Where(a => a != channelAxis).Select(a => (long)a).ToArray();
        var count = x.numel() / Math.Max(channels, 1);
        if (isTraining && count < 2)
            throw new LayerInputException(Name.Path, $"BatchNorm in training needs more than one value per channel to estimate a variance, got input shape {ShapeText.Format(x.shape)}.");
        var dtype = x.dtype;
        var statistics = isTraining ? TrainingStatistics(x, axes, count) : EvaluationStatistics(channels, dtype);
        return Method(
            from stats in statistics
            from scale in Normalization.Optional(CreateScale, "scale", channels, ScaleInit ?? Initializers.Ones(), dtype)
            from offset in Normalization.Optional(CreateOffset, "offset", channels, OffsetInit ?? Initializers.Zeros(), dtype)
            let normalized = (x - Normalization.AlongAxis(stats.Mean, channelAxis, rank)) * Normalization.AlongAxis(torch.rsqrt(stats.Variance + Eps), channelAxis, rank)
            select Normalization.Affine(normalized, scale, offset, channelAxis, rank));

        Model<(Tensor Mean, Tensor Variance)> EvaluationStatistics(long c, ScalarType t) =>
            from mean in Hk.GetState("mean_ema", [c], Initializers.Zeros(), t)
            from variance in Hk.GetState("var_ema", [c], Initializers.Ones(), t)
            select (mean, variance);
    }

    private Model<(Tensor Mean, Tensor Variance)> TrainingStatistics(Tensor x, long[] axes, long count)
    {
        var mean = x.mean(axes);
        var variance = x.var(axes, unbiased: false);
        var channels = mean.shape[0];
        return
            from meanEma in Hk.GetState("mean_ema", [channels], Initializers.Zeros(), x.dtype)
            from varEma in Hk.GetState("var_ema", [channels], Initializers.Ones(), x.dtype)
            from newMean in Hk.SetState("mean_ema", Decay(meanEma, mean.detach()))
            from newVar in Hk.SetState("var_ema", Decay(varEma, variance.detach() * count / (count - 1)))
            select (mean, variance);
    }

    private Tensor Decay(Tensor ema, Tensor value)
    {
        using var noGrad = torch.no_grad();
        return ema * DecayRate + value * (1 - DecayRate);
    }
}

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
