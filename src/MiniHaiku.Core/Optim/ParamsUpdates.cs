using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

/// <summary>Tree operations on <see cref="Params"/> used by optimizers.</summary>
public static class ParamsUpdates
{
    /// <summary>Adds <paramref name="updates"/> to <paramref name="parameters"/> (<c>optax.apply_updates</c>): a new map, inputs unchanged.</summary>
    /// <example><code>
    /// var (updates, newState) = optimizer.Update(grads, optState, p);
    /// Params newParams = p.ApplyUpdates(updates);   // p + updates, in p's dtypes
    /// </code></example>
    /// <param name="parameters">The parameters.</param>
    /// <param name="updates">Updates with the same keys (from <see cref="GradientTransformation.Update(Params, OptState, Params?)"/>).</param>
    /// <returns>The updated parameters, each in its original dtype.</returns>
    /// <exception cref="ParamsKeyException">The key sets differ.</exception>
    /// <exception cref="OptimizerStateException">An update's shape differs from its parameter's.</exception>
    /// <exception cref="DisposedTensorException">A parameter or update was disposed.</exception>
    public static Params ApplyUpdates(this Params parameters, Params updates)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(updates);
        parameters.RequireSameKeys(updates, nameof(ApplyUpdates));
        foreach (var (path, p) in parameters)
        {
            var u = updates[path];
            TensorChecks.RequireAlive(p, $"parameter '{path}' (given to ApplyUpdates)");
            TensorChecks.RequireAlive(u, $"the update of '{path}' (given to ApplyUpdates)");
            long[] ps = p.shape, us = u.shape;
            if (!ShapeText.SameShape(ps, us))
                throw new OptimizerStateException(
                    $"ApplyUpdates: the update of '{path}' has shape {ShapeText.Format(us)} but the parameter has {ShapeText.Format(ps)}: the updates were computed for other parameters.", path);
        }
        using var noGrad = torch.no_grad();
        return parameters.Zip(updates, (p, u) => u.dtype == p.dtype ? p.Plus(u) : p.Plus(u).to_type(p.dtype));
    }

    /// <summary>The L2 norm over every tensor of the map (<c>optax.global_norm</c>), as a float64 scalar tensor.</summary>
    /// <example><code>double norm = grads.GlobalNorm().item&lt;float>();   // √(Σ g²) over every leaf</code></example>
    /// <param name="tree">The tensors.</param>
    /// <returns>sqrt(sum of squares of every element).</returns>
    public static Tensor GlobalNorm(this Params tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        using var noGrad = torch.no_grad();
        foreach (var (path, t) in tree) TensorChecks.RequireAlive(t, $"'{path}' (given to GlobalNorm)");
        var total = torch.zeros([], ScalarType.Float64);
        foreach (var t in tree.Values) total = total.Plus(t.to_type(ScalarType.Float64).Squared().sum());
        return total.sqrt();
    }

    /// <summary>A map of zeros with the keys, shapes and dtypes of <paramref name="tree"/>.</summary>
    /// <example><code>Params accumulated = grads.ZerosLike();   // e.g. to sum gradients over micro-batches</code></example>
    /// <param name="tree">The template.</param>
    /// <returns>The zeros.</returns>
    public static Params ZerosLike(this Params tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        return tree.Map(t => torch.zeros_like(t, requires_grad: false));
    }

    /// <summary>A map filled with <paramref name="value"/> with the keys, shapes and dtypes of <paramref name="tree"/>.</summary>
    /// <example><code>Params half = p.FullLike(0.5);</code></example>
    /// <param name="tree">The template.</param>
    /// <param name="value">The fill value.</param>
    /// <returns>The filled map.</returns>
    public static Params FullLike(this Params tree, double value)
    {
        ArgumentNullException.ThrowIfNull(tree);
        return tree.Map(t => SafeOps.FullLike(t, value));
    }
}
