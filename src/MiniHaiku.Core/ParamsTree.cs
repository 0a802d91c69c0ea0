using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku;

/// <summary>
/// Tree arithmetic on <see cref="Params"/> maps, after <c>optax.tree</c> (<c>tree_add</c>, <c>tree_sub</c>,
/// <c>tree_scale</c>, <c>tree_vdot</c>, <c>tree_norm</c>, <c>tree_cast</c>, <c>tree_where</c>) and Haiku's
/// <c>data_structures.partition</c>/<c>merge</c>. Binary operations need both maps to have the same keys.
/// Results are new tensors (the inputs are unchanged); the arithmetic is differentiable.
/// </summary>
public static class ParamsTree
{
    /// <summary>Entry-wise <c>x + y</c> (<c>optax.tree.add</c>).</summary>
    /// <example><code>Params sum = p.Add(updates);   // leaf by leaf; the keys must match</code></example>
    /// <param name="x">The first map.</param>
    /// <param name="y">A map with the same keys.</param>
    /// <returns>The sums.</returns>
    /// <exception cref="MiniHaikuException">The key sets differ.</exception>
    public static Params Add(this Params x, Params y)
    {
        ArgumentNullException.ThrowIfNull(x);
        return x.Zip(y, (a, b) => a.Plus(b));
    }

    /// <summary>Entry-wise <c>x − y</c> (<c>optax.tree.sub</c>).</summary>
    /// <example><code>Params delta = p.Subtract(state);</code></example>
    /// <param name="x">The first map.</param>
    /// <param name="y">A map with the same keys.</param>
    /// <returns>The differences.</returns>
    /// <exception cref="MiniHaikuException">The key sets differ.</exception>
    public static Params Subtract(this Params x, Params y)
    {
        ArgumentNullException.ThrowIfNull(x);
        return x.Zip(y, (a, b) => a.Minus(b));
    }

    /// <summary>Every tensor multiplied by <paramref name="scalar"/> (<c>optax.tree.scale</c>).</summary>
    /// <example><code>Params halved = grads.Scale(0.5);</code></example>
    /// <param name="tree">The map.</param>
    /// <param name="scalar">The factor.</param>
    /// <returns>The scaled map.</returns>
    public static Params Scale(this Params tree, double scalar)
    {
        ArgumentNullException.ThrowIfNull(tree);
        return tree.Map(t => t.Times(scalar));
    }

    /// <summary>
    /// The inner product <c>Σ x·y</c> over every element of every entry (<c>optax.tree.vdot</c>), as a
    /// float64 scalar tensor.
    /// </summary>
    /// <example><code>Tensor dot = grads.Vdot(updates);   // sum over every leaf of the elementwise products</code></example>
    /// <param name="x">The first map.</param>
    /// <param name="y">A map with the same keys.</param>
    /// <returns>The inner product.</returns>
    /// <exception cref="MiniHaikuException">The key sets differ.</exception>
    public static Tensor Vdot(this Params x, Params y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        x.RequireSameKeys(y, nameof(Vdot));
        using var scope = torch.NewDisposeScope();
        var total = torch.zeros([], ScalarType.Float64);
        foreach (var (k, a) in x)
            total = total.Plus(a.to_type(ScalarType.Float64).mul(y[k].to_type(ScalarType.Float64)).sum());
        return total.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The norm of all elements together (<c>optax.tree.norm</c>), as a float64 scalar tensor: with
    /// <paramref name="ord"/> 2 the L2 norm (its square when <paramref name="squared"/>), with 1 the sum
    /// of magnitudes, with <see cref="double.PositiveInfinity"/> the largest magnitude.
    /// </summary>
    /// <example><code>Tensor globalNorm = grads.Norm();   // L2 over all leaves; Norm(ord: double.PositiveInfinity) for the max</code></example>
    /// <param name="tree">The map.</param>
    /// <param name="ord">1, 2 or infinity.</param>
    /// <param name="squared">Return the square of the norm.</param>
    /// <returns>The norm (0 for an empty map).</returns>
    /// <exception cref="ModelUsageException"><paramref name="ord"/> is not 1, 2 or infinity.</exception>
    public static Tensor Norm(this Params tree, double ord = 2, bool squared = false)
    {
        ArgumentNullException.ThrowIfNull(tree);
        if (ord is not (1 or 2 or double.PositiveInfinity)) throw new ModelUsageException($"ord: must be 1, 2 or infinity. (got {ord})");
        using var scope = torch.NewDisposeScope();
        var total = torch.zeros([], ScalarType.Float64);
        foreach (var t in tree.Values)
        {
            if (t.numel() == 0) continue;
            var d = t.to_type(ScalarType.Float64);
            total = ord switch
            {
                1 => total.Plus(d.abs().sum()),
                2 => total.Plus(d.Squared().sum()),
                _ => torch.maximum(total, d.abs().max()),
            };
        }
        var result = ord == 2 && !squared ? total.sqrt() : squared && ord != 2 ? total.Squared() : total;
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Every tensor converted to <paramref name="dtype"/> (<c>optax.tree.cast</c>); tensors already of that dtype are kept.</summary>
    /// <example><code>Params bf16 = p.Cast(ScalarType.BFloat16);</code></example>
    /// <param name="tree">The map.</param>
    /// <param name="dtype">The target dtype.</param>
    /// <returns>The converted map.</returns>
    public static Params Cast(this Params tree, ScalarType dtype)
    {
        ArgumentNullException.ThrowIfNull(tree);
        return tree.Map(t => t.dtype == dtype ? t : t.to_type(dtype));
    }

    /// <summary>
    /// Entry-wise selection (<c>optax.tree.where</c>): <c>condition ? x : y</c>, element by element, where each
    /// condition entry is a boolean tensor broadcastable to the others (e.g. a scalar per parameter).
    /// </summary>
    /// <example><code>Params finite = ParamsTree.Where(grads.Map(g => g.isfinite()), grads, grads.Map(g => zeros_like(g)));</code></example>
    /// <param name="condition">Boolean tensors with the same keys.</param>
    /// <param name="x">Values where the condition holds.</param>
    /// <param name="y">Values where it does not.</param>
    /// <returns>The selected map.</returns>
    /// <exception cref="MiniHaikuException">The key sets differ, or a condition is not boolean.</exception>
    public static Params Where(Params condition, Params x, Params y)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        condition.RequireSameKeys(x, nameof(Where));
        condition.RequireSameKeys(y, nameof(Where));
        return condition.Map((k, c) => c.dtype == ScalarType.Bool ? torch.where(c, x[k], y[k])
            : throw new ModelUsageException($"ParamsTree.Where: the condition for '{k}' has dtype {c.dtype}; it must be Bool."));
    }

    /// <summary>
    /// Splits a map by a path predicate (Haiku's <c>data_structures.partition</c>): the entries whose path
    /// satisfies <paramref name="predicate"/>, and the rest. <see cref="Merge"/> puts them back together.
    /// </summary>
    /// <param name="tree">The map.</param>
    /// <param name="predicate">A test on the path.</param>
    /// <returns>The selected entries and the others.</returns>
    /// <example><code>var (trainable, frozen) = p.Partition(path => !path.Contains("/embed/"));</code></example>
    public static (Params Selected, Params Others) Partition(this Params tree, Func<string, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(predicate);
        var selected = new List<KeyValuePair<string, Tensor>>();
        var others = new List<KeyValuePair<string, Tensor>>();
        foreach (var kv in tree) (predicate(kv.Key) ? selected : others).Add(kv);
        return (Params.Create(selected), Params.Create(others));
    }

    /// <summary>Joins maps with disjoint keys (Haiku's <c>data_structures.merge</c>), e.g. the halves of <see cref="Partition"/>.</summary>
    /// <example><code>Params all = ParamsTree.Merge(p, state);   // the parts must not share a path</code></example>
    /// <param name="parts">The maps.</param>
    /// <returns>One map with every entry.</returns>
    /// <exception cref="MiniHaikuException">A path appears in two maps.</exception>
    public static Params Merge(params Params[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        return Params.Create(parts.SelectMany(p => p ?? throw new ArgumentNullException(nameof(parts))));
    }
}
