using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku;

public static partial class Hk
{
    /// <summary>
    /// Inverted dropout (Haiku's <c>hk.dropout</c>): zeroes each element with probability
    /// <paramref name="rate"/> and scales the survivors by <c>1 / (1 − rate)</c>, so the expectation is
    /// unchanged. The mask is drawn from a <see cref="torch.Generator"/> seeded by
    /// <see cref="NextRngKey"/>, so <c>Apply</c> needs a seed or key. At rate 0 it is the identity and
    /// draws no key; at rate 1 the result is all zeros.
    /// </summary>
    /// <param name="rate">The probability of dropping an element, in [0, 1].</param>
    /// <param name="x">The input (floating point).</param>
    /// <returns>A model producing the masked input.</returns>
    /// <exception cref="LayerConfigurationException"><paramref name="rate"/> is outside [0, 1].</exception>
    public static Model<Tensor> Dropout(double rate, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!(rate >= 0 && rate <= 1))
            throw new LayerConfigurationException(nameof(Dropout), $"rate must be in [0, 1], got {rate}.");
        if (rate == 0) return Pure(x);
        return NextRngKey().Select(key => DropoutMask(rate, x, key));
    }

    /// <summary>Applies <see cref="Dropout(double, Tensor)"/> only when <paramref name="isTraining"/> is true.</summary>
    /// <example><code>
    /// from h in Hk.Dropout(0.1, x, isTraining)   // identity when not training; Apply(…, seed) gives the key
    /// select h
    /// </code></example>
    /// <param name="rate">The probability of dropping an element, in [0, 1].</param>
    /// <param name="x">The input.</param>
    /// <param name="isTraining">False gives the identity (no key drawn).</param>
    /// <returns>A model producing the (possibly) masked input.</returns>
    public static Model<Tensor> Dropout(double rate, Tensor x, bool isTraining) =>
        isTraining ? Dropout(rate, x) : Dropout(0, x);

    private static Tensor DropoutMask(double rate, Tensor x, RngKey key)
    {
        if (rate == 1) return torch.zeros_like(x);
        using var generator = key.CreateGenerator();
        using var scope = torch.NewDisposeScope();
        var dtype = x.is_floating_point() ? x.dtype : ScalarType.Float32;
        var keep = Internal.DeviceRandom.Rand(x.shape, dtype, x.device, generator).GreaterOrEqualInPlace(rate);
        return x.mul(keep.to_type(dtype)).DivideInPlace(1 - rate).MoveToOuterDisposeScope();
    }
}
