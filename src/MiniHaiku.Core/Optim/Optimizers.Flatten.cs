using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    private const string FlatKey = "flat";

    /// <summary>
    /// Runs <paramref name="inner"/> on all parameters concatenated into one vector (<c>optax.flatten</c>);
    /// the updates are split back into the original keys, shapes and dtypes (each step pays one
    /// concatenation and one split; its speed against the unflattened optimizer is not benchmarked). The vector has the promoted dtype of all tensors; the inner state covers one
    /// parameter named <c>flat</c>.
    /// </summary>
    /// <example><code>var opt = Optimizers.Flatten(Optimizers.Adam(1e-3));   // one flat vector in the state instead of one slot per parameter</code></example>
    /// <param name="inner">The transformation.</param>
    /// <returns>The transformation.</returns>
    public static GradientTransformation Flatten(GradientTransformation inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        return GradientTransformation.WithExtraArgs(
            p => inner.InitFunction(Ravel(p)),
            (grads, s, p, extra) =>
            {
                var (flat, state) = inner.UpdateWithExtraArgs(Ravel(grads), s, p is null ? null : Ravel(p), extra);
                var vector = flat[FlatKey];
                var offset = 0L;
                return (grads.Map(g =>
                {
                    var n = g.numel();
                    using var slice = vector.narrow(0, offset, n);
                    offset += n;
                    using var shaped = slice.reshape(g.shape);
                    return shaped.to_type(g.dtype, copy: true);
                }), state);
            });
    }

    private static Params Ravel(Params tree)
    {
        if (tree.Count == 0) return Params.Create([new(FlatKey, torch.zeros([0], ScalarType.Float32))]);
        var dtype = tree.Values.Select(t => t.dtype).Aggregate(torch.promote_types);
        using var scope = torch.NewDisposeScope();
        var flat = torch.cat(tree.Values.Select(t => t.reshape(-1).to_type(dtype)).ToList(), 0);
        return Params.Create([new(FlatKey, flat.MoveToOuterDisposeScope())]);
    }
}
