using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// The scale and offset of <see cref="LayerNorm"/>, <see cref="RMSNorm"/> and <see cref="InstanceNorm"/>: Haiku's
/// <c>param_axis</c> shapes, and conditional normalisation (scale/offset given at call time instead of learned).
/// </summary>
internal static class NormalizationParams
{
    /// <summary>
    /// Haiku's parameter shape: <c>[C]</c> when <paramref name="paramAxis"/> is the last axis (its default), otherwise
    /// the input's sizes on the parameter axes and 1 elsewhere (a full-rank shape that broadcasts).
    /// </summary>
    public static long[] Shape(string path, string layer, Tensor x, IReadOnlyList<int> paramAxis)
    {
        var axes = Normalization.Axes(path, layer + " paramAxis", x, paramAxis);
        var shape = x.shape;
        if (axes.Length == 1 && axes[0] == shape.Length - 1) return [shape[^1]];
        return shape.Select((d, i) => axes.Contains(i) ? d : 1L).ToArray();
    }

    /// <summary>
    /// The learned parameter <paramref name="name"/> when <paramref name="create"/>, else the tensor given at call time
    /// (checked to broadcast to the input and to share its dtype), else null.
    /// </summary>
    /// <exception cref="LayerInputException">Both a learned and a given value, or a given value that does not fit the input.</exception>
    public static Model<Tensor?> LearnedOrGiven(string path, string layer, string name, bool create, Tensor? given, long[] shape,
        Initializer init, Tensor x)
    {
        if (create)
        {
            if (given is not null)
            {
                var flag = "create" + char.ToUpperInvariant(name[0]) + name[1..];
                throw new LayerInputException(path, $"{layer} cannot take {name} at call time when it learns one ({flag}: true); create it with {flag}: false for conditional normalisation.");
            }
            return Hk.GetParam(name, shape, init, x.dtype).Select(t => (Tensor?)t);
        }
        if (given is null) return Hk.Pure<Tensor?>(null);
        if (given.dtype != x.dtype)
            throw new LayerInputException(path, $"{layer}'s {name} has dtype {given.dtype} but the input has {x.dtype}; convert one of them.");
        if (!Broadcasts(given.shape, x.shape))
            throw new LayerInputException(path, $"{layer}'s {name} of shape {ShapeText.Format(given.shape)} does not broadcast to the input's shape {ShapeText.Format(x.shape)}.");
        return Hk.Pure<Tensor?>(given);
    }

    /// <summary><c>normalized · scale + offset</c>, each when present, broadcasting as numpy does.</summary>
    public static Tensor Affine(Tensor normalized, Tensor? scale, Tensor? offset)
    {
        var y = scale is null ? normalized : normalized.mul(scale);
        return offset is null ? y : y.Plus(offset);
    }

    /// <summary>Whether <paramref name="from"/> broadcasts to exactly <paramref name="to"/> (numpy rules).</summary>
    private static bool Broadcasts(long[] from, long[] to)
    {
        if (from.Length > to.Length) return false;
        for (var i = 1; i <= from.Length; i++)
            if (from[^i] != 1 && from[^i] != to[^i]) return false;
        return true;
    }
}
