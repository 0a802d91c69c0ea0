namespace MiniHaiku.Optim;

/// <summary>
/// An optimizer in the style of Optax: a pair of pure functions. <see cref="Init"/> builds the
/// optimizer state for some parameters; <see cref="Update(Params, OptState, Params?)"/> turns gradients into updates and a new
/// state. Apply the updates with <see cref="ParamsUpdates.ApplyUpdates"/> (<c>p + u</c>). Nothing is
/// changed in place: the old state stays valid until the caller disposes it.
/// </summary>
/// <param name="InitFunction">Builds the initial state from the parameters (only their shapes and dtypes are used).</param>
/// <param name="UpdateFunction">Maps (gradients, state, parameters or null) to (updates, new state).</param>
public sealed partial record GradientTransformation(
    Func<Params, OptState> InitFunction,
    Func<Params, OptState, Params?, (Params Updates, OptState State)> UpdateFunction)
{
    /// <summary>Builds the initial optimizer state for <paramref name="parameters"/>.</summary>
    /// <example><code>OptState optState = optimizer.Init(p);   // slots shaped like p (Adam: two moments and a count)</code></example>
    /// <param name="parameters">The parameters to be optimized.</param>
    /// <returns>The initial state.</returns>
    public OptState Init(Params parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        foreach (var (path, p) in parameters) TensorChecks.RequireAlive(p, $"parameter '{path}' (given to the optimizer's Init)");
        return InitFunction(parameters);
    }

    /// <summary>Turns gradients into updates (to be added to the parameters) and a new state. Runs without autograd (<c>torch.no_grad</c>).</summary>
    /// <example><code>
    /// var (updates, newState) = optimizer.Update(grads, optState, p);
    /// Params newParams = p.ApplyUpdates(updates);   // p + updates; p and optState stay valid
    /// </code></example>
    /// <param name="grads">Gradients with the parameters' keys and shapes.</param>
    /// <param name="state">The state from <see cref="Init"/> or the previous <see cref="Update(Params, OptState, Params?)"/>.</param>
    /// <param name="parameters">The current parameters; needed by weight decay (<c>AdamW</c>), else may be null.</param>
    /// <returns>The updates and the new state.</returns>
    /// <exception cref="OptimizerStateException">The gradients' keys or shapes differ from the state's or the parameters', or the state was made by another optimizer.</exception>
    /// <exception cref="DisposedTensorException">A gradient, parameter or state tensor was disposed.</exception>
    public (Params Updates, OptState State) Update(Params grads, OptState state, Params? parameters = null)
    {
        ArgumentNullException.ThrowIfNull(grads);
        ArgumentNullException.ThrowIfNull(state);
        UpdateChecks.Validate(grads, state, parameters);
        using var noGrad = TorchSharp.torch.no_grad();
        try
        {
            return UpdateFunction(grads, state, parameters);
        }
        catch (System.Runtime.InteropServices.ExternalException e)
        {
            throw UpdateChecks.Explain(grads, state, e);
        }
    }
}
