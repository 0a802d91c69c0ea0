using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.FashionMnistExample;

/// <summary>
/// Batch normalization over the channels of an NCHW input, written as an ordinary MiniHaiku user
/// module (parameters <c>scale</c>/<c>offset</c>, state <c>mean_ema</c>/<c>var_ema</c>). In training it
/// normalizes with the batch statistics and updates the moving averages
/// (<c>ema ← decay·ema + (1 − decay)·batch</c>, unbiased variance, as torch's BatchNorm2d with
/// momentum 1 − decay); in evaluation it uses the moving averages. Needs <c>Hk.TransformWithState</c>.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="DecayRate">The moving-average decay (0.9 ≙ torch momentum 0.1).</param>
/// <param name="Eps">Added to the variance before the square root.</param>
public sealed record BatchNorm2D(ModuleName Name, double DecayRate, double Eps) : Module(Name)
{
    /// <summary>Creates the module.</summary>
    /// <param name="decayRate">The moving-average decay.</param>
    /// <param name="eps">The variance epsilon.</param>
    /// <param name="name">An explicit name, or null for <c>batch_norm2_d_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<BatchNorm2D> Create(double decayRate = 0.9, double eps = 1e-5, string? name = null) =>
        Hk.Module(n => new BatchNorm2D(n, decayRate, eps), name);

    /// <summary>Normalizes <paramref name="x"/> [N, C, H, W] per channel.</summary>
    /// <param name="x">The input.</param>
    /// <param name="isTraining">Use (and update) batch statistics rather than the moving averages.</param>
    /// <returns>A model producing the normalized input, same shape.</returns>
    public Model<Tensor> Call(Tensor x, bool isTraining)
    {
        var shape = x.shape;
        if (shape.Length != 4) throw new ModelUsageException($"{Name.Path}: BatchNorm2D needs [N, C, H, W], got [{string.Join(", ", shape)}].");
        long[] channels = [shape[1]];
        long[] broadcast = [1, shape[1], 1, 1];
        var dtype = x.dtype;
        return Method(
            from scale in Hk.GetParam("scale", channels, Initializers.Ones(), dtype)
            from offset in Hk.GetParam("offset", channels, Initializers.Zeros(), dtype)
            from meanEma in Hk.GetState("mean_ema", channels, Initializers.Zeros(), dtype)
            from varEma in Hk.GetState("var_ema", channels, Initializers.Ones(), dtype)
            from y in isTraining ? Train(x, scale, offset, meanEma, varEma, broadcast) : Hk.Pure(Normalize(x, meanEma, varEma, scale, offset, broadcast))
            select y);
    }

    private Model<Tensor> Train(Tensor x, Tensor scale, Tensor offset, Tensor meanEma, Tensor varEma, long[] broadcast)
    {
        long[] axes = [0, 2, 3];
        var mean = x.mean(axes);
        var variance = x.var(axes, unbiased: false);
        var y = Normalize(x, mean, variance, scale, offset, broadcast);
        Tensor newMean, newVar;
        using (torch.no_grad())
        {
            var count = x.numel() / x.shape[1];
            var unbiased = count > 1 ? variance.detach() * (count / (double)(count - 1)) : variance.detach();
            newMean = meanEma * DecayRate + mean.detach() * (1 - DecayRate);
            newVar = varEma * DecayRate + unbiased * (1 - DecayRate);
        }
        return from _ in Hk.SetState("mean_ema", newMean)
               from __ in Hk.SetState("var_ema", newVar)
               select y;
    }

    private Tensor Normalize(Tensor x, Tensor mean, Tensor variance, Tensor scale, Tensor offset, long[] broadcast)
    {
        var inv = (variance + Eps).rsqrt().mul(scale);
        return x.sub(mean.view(broadcast)).mul_(inv.view(broadcast)).add_(offset.view(broadcast));
    }
}
