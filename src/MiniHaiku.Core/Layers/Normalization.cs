using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>Shared helpers of the normalisation layers.</summary>
internal static class Normalization
{
    public static long[] Axes(string path, string layer, Tensor x, IReadOnlyList<int> axes)
    {
        var rank = x.dim();
        var result = new long[axes.Count];
        for (var i = 0; i < axes.Count; i++)
        {
            var a = axes[i] < 0 ? axes[i] + rank : axes[i];
            if (a < 0 || a >= rank)
                throw new LayerInputException(path, $"{layer} axis {axes[i]} is out of range for an input of shape {ShapeText.Format(x.shape)}.");
            result[i] = a;
        }
        if (result.Distinct().Count() != result.Length)
            throw new LayerInputException(path, $"{layer} axes [{string.Join(", ", axes)}] repeat an axis of an input of rank {rank}.");
        return result;
    }

    public static void RequireAxes(string layer, IReadOnlyList<int>? axes)
    {
        if (axes is { Count: 0 }) throw new LayerConfigurationException(layer, "needs at least one axis to normalise over.");
    }

    public static void RequirePositive(string layer, double eps)
    {
        if (!(eps > 0)) throw new LayerConfigurationException(layer, $"eps must be positive, got {eps}.");
    }

    /// <summary>A channel vector <c>[C]</c> shaped to broadcast along <paramref name="channelAxis"/> of a rank-<paramref name="rank"/> tensor.</summary>
    public static Tensor AlongAxis(Tensor v, long channelAxis, long rank)
    {
        if (channelAxis == rank - 1) return v;
        var shape = Enumerable.Repeat(1L, (int)rank).ToArray();
        shape[channelAxis] = v.shape[0];
        return v.reshape(shape);
    }

    public static Model<Tensor?> Optional(bool create, string name, long size, Initializer init, ScalarType dtype) =>
        create ? Hk.GetParam(name, [size], init, dtype).Select(t => (Tensor?)t) : Hk.Pure<Tensor?>(null);

    public static Tensor Affine(Tensor normalized, Tensor? scale, Tensor? offset, long channelAxis, long rank)
    {
        var y = normalized;
        if (scale is not null) y = y * AlongAxis(scale, channelAxis, rank);
        if (offset is not null) y = y.Plus(AlongAxis(offset, channelAxis, rank));
        return y;
    }
}
