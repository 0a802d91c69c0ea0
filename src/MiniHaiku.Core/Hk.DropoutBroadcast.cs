using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku;

public static partial class Hk
{
    /// <summary>
    /// Dropout whose mask is shared along <paramref name="broadcastDims"/> (Haiku's <c>hk.dropout(…, broadcast_dims=…)</c>):
    /// the mask is drawn with size 1 on those axes and broadcast, so e.g. <c>broadcastDims: [0]</c> on <c>[T, B, F]</c>
    /// drops the same features at every time step. Survivors are scaled by <c>1 / (1 − rate)</c>; rate 0 is the identity
    /// and draws no key.
    /// </summary>
    /// <example><code>Hk.Dropout(0.2, images, broadcastDims: [1, 2])   // one mask per image and channel, shared over H and W</code></example>
    /// <param name="rate">The probability of dropping, in [0, 1].</param>
    /// <param name="x">The input.</param>
    /// <param name="broadcastDims">The axes that share one mask value (negative counts from the end).</param>
    /// <param name="isTraining">False gives the identity (no key drawn).</param>
    /// <returns>A model producing the masked input.</returns>
    /// <exception cref="LayerConfigurationException"><paramref name="rate"/> is outside [0, 1].</exception>
    /// <exception cref="LayerInputException">An axis of <paramref name="broadcastDims"/> is out of range.</exception>
    public static Model<Tensor> Dropout(double rate, Tensor x, IReadOnlyList<int> broadcastDims, bool isTraining = true)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(broadcastDims);
        if (!(rate >= 0 && rate <= 1))
            throw new LayerConfigurationException(nameof(Dropout), $"rate must be in [0, 1], got {rate}.");
        var maskShape = x.shape;
        foreach (var d in broadcastDims)
        {
            var axis = d < 0 ? d + maskShape.Length : d;
            if (axis < 0 || axis >= maskShape.Length)
                throw new LayerInputException(nameof(Dropout), $"broadcast axis {d} does not exist in an input of shape {ShapeText.Format(x.shape)}.");
            maskShape[axis] = 1;
        }
        if (!isTraining || rate == 0) return Pure(x);
        return NextRngKey().Select(key => BroadcastDropoutMask(rate, x, maskShape, key));
    }

    private static Tensor BroadcastDropoutMask(double rate, Tensor x, long[] maskShape, RngKey key)
    {
        if (rate == 1) return torch.zeros_like(x);
        using var generator = key.CreateGenerator();
        using var scope = torch.NewDisposeScope();
        var dtype = x.is_floating_point() ? x.dtype : ScalarType.Float32;
        using var threshold = rate.ToScalar();
        using var keepScale = (1 / (1 - rate)).ToScalar();
        var keep = Internal.DeviceRandom.Rand(maskShape, dtype, x.device, generator).ge(threshold).to_type(dtype).mul_(keepScale);
        var result = x.mul(keep).MoveToOuterDisposeScope();
        GC.KeepAlive(threshold);
        GC.KeepAlive(keepScale);
        return result;
    }
}
