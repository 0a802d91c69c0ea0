using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku;

/// <summary>
/// Gradients of scalar functions of <see cref="Params"/>, like <c>jax.value_and_grad</c>: pure
/// functions that never change the caller's tensors.
/// </summary>
/// <remarks>
/// Each call copies every parameter into a fresh autograd leaf (<c>detach().requires_grad_()</c>),
/// runs the loss on the copies and asks <c>torch.autograd.grad</c> for the gradient of each copy.
/// Everything that would make autograd fail (a non-scalar or non-floating loss, a non-floating
/// parameter) is checked first and reported as a <see cref="GradientException"/>. Parameters the
/// loss does not use get all-zero gradients, as in JAX. With <c>createGraph: true</c> the gradients
/// are themselves differentiable, so a <see cref="ValueAndGrad"/> nested inside another one gives
/// second derivatives (grad of grad).
/// </remarks>
public static class Grad
{
    /// <summary>
    /// Returns a function computing <paramref name="loss"/> and its gradient with respect to every
    /// parameter. The gradients have exactly the parameters' keys, shapes and dtypes.
    /// </summary>
    /// <example><code>var (value, g) = Grad.ValueAndGrad(p => net.Apply(p, x).sub(y).square().mean())(p);</code></example>
    /// <param name="loss">A scalar, floating-point function of the parameters.</param>
    /// <param name="createGraph">
    /// Keep the gradients differentiable (for higher-order derivatives). When false, the value and the
    /// gradients are detached from any graph.
    /// </param>
    /// <returns>A function from parameters to (loss value, gradients).</returns>
    public static Func<Params, (Tensor Value, Params Grads)> ValueAndGrad(Func<Params, Tensor> loss, bool createGraph = false)
    {
        ArgumentNullException.ThrowIfNull(loss);
        return parameters =>
        {
            var (value, _, grads) = Compute(parameters, p => (loss(p), (object?)null), createGraph);
            return (value, grads);
        };
    }

    /// <summary>
    /// Like <see cref="ValueAndGrad"/> for a loss that also returns auxiliary data (e.g. accuracy or
    /// new model state), which is passed through undifferentiated (<c>has_aux=True</c> in JAX).
    /// </summary>
    /// <example><code>
    /// var (value, output, g) = Grad.ValueAndGradWithAux(p =>
    /// {
    ///     var o = net.Apply(p, x);
    ///     return (o.sub(y).square().mean(), o.detach());   // the output rides along, undifferentiated
    /// })(p);
    /// </code></example>
    /// <typeparam name="TAux">The auxiliary data type.</typeparam>
    /// <param name="loss">Returns a scalar floating-point loss and auxiliary data.</param>
    /// <param name="createGraph">Keep the gradients differentiable (for higher-order derivatives).</param>
    /// <returns>A function from parameters to (loss value, auxiliary data, gradients).</returns>
    public static Func<Params, (Tensor Value, TAux Aux, Params Grads)> ValueAndGradWithAux<TAux>(
        Func<Params, (Tensor Loss, TAux Aux)> loss, bool createGraph = false)
    {
        ArgumentNullException.ThrowIfNull(loss);
        return parameters => Compute(parameters, loss, createGraph);
    }

    /// <summary>Returns a function computing only the gradient of <paramref name="loss"/> (<c>jax.grad</c>).</summary>
    /// <example><code>Params g = Grad.Gradient(lossFn)(p);   // the same keys and shapes as p</code></example>
    /// <param name="loss">A scalar, floating-point function of the parameters.</param>
    /// <param name="createGraph">Keep the gradients differentiable (for higher-order derivatives).</param>
    /// <returns>A function from parameters to gradients.</returns>
    public static Func<Params, Params> Gradient(Func<Params, Tensor> loss, bool createGraph = false)
    {
        var f = ValueAndGrad(loss, createGraph);
        return p => f(p).Grads;
    }

    private static (Tensor Value, TAux Aux, Params Grads) Compute<TAux>(
        Params parameters, Func<Params, (Tensor Loss, TAux Aux)> loss, bool createGraph)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var keys = new string[parameters.Count];
        var leaves = new Tensor[parameters.Count];
        var i = 0;
        foreach (var (path, tensor) in parameters)
        {
            TensorChecks.RequireAlive(tensor, $"parameter '{path}' (given to Grad)");
            if (!tensor.is_floating_point())
                throw new GradientException(
                    $"Cannot differentiate with respect to '{path}': its dtype is {tensor.dtype}, but gradients need a floating-point dtype (Float16/BFloat16/Float32/Float64). Keep integer data out of the differentiated parameters.");
            keys[i] = path;
            // A tensor that is already part of a graph (an outer ValueAndGrad with createGraph) stays
            // connected through an alias, so the gradient can itself be differentiated. Otherwise a
            // detached copy becomes a fresh leaf: the caller's tensor is never touched.
            leaves[i] = createGraph && tensor.requires_grad ? tensor.alias() : tensor.detach().requires_grad_(true);
            i++;
        }

        var leafParams = Params.Create(Pairs(keys, leaves));
        Tensor value;
        TAux aux;
        using (torch.enable_grad())
        {
            (value, aux) = loss(leafParams);
        }
        RequireScalarLoss(value);

        Tensor[] grads;
        if (leaves.Length == 0 || !value.requires_grad)
        {
            // The loss does not depend on any parameter (or there are none): every gradient is zero.
            grads = new Tensor[leaves.Length];
            for (var j = 0; j < leaves.Length; j++) grads[j] = torch.zeros_like(leaves[j], requires_grad: false);
        }
        else
        {
            var raw = torch.autograd.grad([value], leaves, retain_graph: createGraph, create_graph: createGraph, allow_unused: true);
            grads = new Tensor[leaves.Length];
            for (var j = 0; j < leaves.Length; j++)
            {
                var g = raw[j];
                // Without create_graph autograd already returns gradients off any graph: no detach (a native call each).
                grads[j] = g is null || g.IsInvalid ? torch.zeros_like(leaves[j], requires_grad: false) : g;
            }
        }

        var result = Params.Create(Pairs(keys, grads));
        return (createGraph ? value : value.detach(), aux, result);
    }

    private static KeyValuePair<string, Tensor>[] Pairs(string[] keys, Tensor[] values)
    {
        var pairs = new KeyValuePair<string, Tensor>[keys.Length];
        for (var i = 0; i < keys.Length; i++) pairs[i] = new(keys[i], values[i]);
        return pairs;
    }

    /// <summary>
    /// The checks of a loss value before autograd sees it (an error inside autograd aborts the process); also used by the
    /// trainer's flat step. Returns the loss's dtype (read once: two native calls in all).
    /// </summary>
    internal static ScalarType RequireScalarLoss(Tensor? value)
    {
        if (value is null) throw new GradientException("The loss function returned null instead of a scalar tensor.");
        TensorChecks.RequireAlive(value, "the loss (returned by the loss function)");
        if (value.numel() != 1)
            throw new GradientException(
                $"The loss must be a scalar (one element) but has shape {ShapeText.Format(value.shape)}. Reduce it, e.g. with .mean() or .sum().");
        var dtype = value.dtype;
        if (!Layers.LayerChecks.IsFloating(dtype))
            throw new GradientException($"The loss must be floating point but its dtype is {dtype}.");
        return dtype;
    }

    /// <summary>
    /// The number in a one-element floating tensor (a loss, a sum) as a double: one native call for Float32/Float64
    /// (<c>item</c> reads only the tensor's own dtype), a widening copy for the half-precision dtypes.
    /// </summary>
    internal static double ReadScalar(Tensor value, ScalarType dtype)
    {
        switch (dtype)
        {
            case ScalarType.Float32: return value.item<float>();
            case ScalarType.Float64: return value.item<double>();
            default:
                using (var detached = value.detach())
                using (var wide = detached.to_type(ScalarType.Float64))
                    return wide.item<double>();
        }
    }
}
