using MiniHaiku.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku;

public static partial class Hk
{
    /// <summary>
    /// Haiku's <c>hk.multinomial</c>: draws <paramref name="numSamples"/> independent categories (with replacement)
    /// from the distribution <c>softmax(logits)</c> over the last axis, with a generator seeded by
    /// <paramref name="key"/> (the same key gives the same draws).
    /// </summary>
    /// <example><code>Tensor tokens = Hk.Multinomial(RngKey.FromSeed(0), logits, numSamples: 4);   // [batch, 4] class indices</code></example>
    /// <param name="key">The random key.</param>
    /// <param name="logits">Unnormalised log-probabilities <c>[..., classes]</c> (floating point; −∞ excludes a class).</param>
    /// <param name="numSamples">How many draws per distribution (positive).</param>
    /// <returns>Int64 categories of shape <c>[..., numSamples]</c>.</returns>
    /// <exception cref="LayerConfigurationException"><paramref name="numSamples"/> is not positive.</exception>
    /// <exception cref="LayerInputException">The logits are not floating point, have no axis, or a row has no finite logit.</exception>
    public static Tensor Multinomial(RngKey key, Tensor logits, int numSamples)
    {
        ValidateMultinomial(logits, numSamples);
        using var scope = torch.NewDisposeScope();
        var shape = logits.shape;
        var rows = logits.detach().to_type(ScalarType.Float64).reshape(-1, shape[^1]);
        var valid = rows.isfinite().any(-1).all().item<bool>() && !rows.isnan().any().item<bool>() && !rows.isposinf().any().item<bool>();
        if (!valid)
            throw new LayerInputException(nameof(Multinomial), $"every distribution needs a finite logit and no NaN or +∞ (logits shape {ShapeText.Format(shape)}).");
        var probabilities = rows.softmax(-1);
        using var generator = key.CreateGenerator();
        var samples = Internal.DeviceRandom.OnDevice(torch.multinomial(probabilities.cpu(), numSamples, replacement: true, generator: generator), logits.device);
        return samples.reshape([.. shape[..^1], numSamples]).MoveToOuterDisposeScope();
    }

    /// <summary><see cref="Multinomial(RngKey, Tensor, int)"/> with a key drawn by <see cref="NextRngKey"/>.</summary>
    /// <example><code>
    /// from next in Hk.Multinomial(logits, numSamples: 1)   // the key comes from Apply(…, seed)
    /// select next
    /// </code></example>
    /// <param name="logits">Unnormalised log-probabilities <c>[..., classes]</c>.</param>
    /// <param name="numSamples">How many draws per distribution.</param>
    /// <returns>A model producing Int64 categories <c>[..., numSamples]</c>.</returns>
    public static Model<Tensor> Multinomial(Tensor logits, int numSamples)
    {
        ValidateMultinomial(logits, numSamples);
        return NextRngKey().Select(key => Multinomial(key, logits, numSamples));
    }

    private static void ValidateMultinomial(Tensor logits, int numSamples)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (numSamples < 1) throw new LayerConfigurationException(nameof(Multinomial), $"numSamples must be positive, got {numSamples}.");
        if (!logits.is_floating_point())
            throw new LayerInputException(nameof(Multinomial), $"needs floating-point logits, got dtype {logits.dtype}.");
        if (logits.dim() < 1 || logits.shape[^1] < 1)
            throw new LayerInputException(nameof(Multinomial), $"needs logits [..., classes] with at least one class, got shape {ShapeText.Format(logits.shape)}.");
    }
}
