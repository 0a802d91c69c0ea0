namespace MiniHaiku.Optim;

/// <summary>
/// Extra inputs of an update that only some transformations use (Optax's <c>**extra_args</c>), e.g.
/// the loss <see cref="Value"/> that <see cref="Optimizers.ReduceOnPlateau"/> watches.
/// </summary>
/// <param name="Value">The current value of the objective (the loss), or null.</param>
public sealed record UpdateExtraArgs(double? Value = null)
{
    /// <summary>No extra arguments.</summary>
    public static UpdateExtraArgs None { get; } = new();
}

public sealed partial record GradientTransformation
{
    /// <summary>
    /// The update function of a transformation that reads <see cref="UpdateExtraArgs"/> (Optax's
    /// <c>GradientTransformationExtraArgs</c>), or null when it ignores them. Wrappers and
    /// <see cref="Optimizers.Chain"/> forward the extra arguments to inner transformations that have one.
    /// Build such a transformation with <see cref="WithExtraArgs"/>. When set, it is the update that
    /// wrappers call, so a copy made with <c>with { UpdateFunction = … }</c> must also replace (or null) it.
    /// </summary>
    public Func<Params, OptState, Params?, UpdateExtraArgs, (Params Updates, OptState State)>? ExtraArgsUpdateFunction { get; init; }

    /// <summary>
    /// A transformation whose update receives <see cref="UpdateExtraArgs"/>; called through the
    /// three-argument <see cref="Update(Params, OptState, Params?)"/> it receives <see cref="UpdateExtraArgs.None"/>.
    /// </summary>
    /// <example><code>
    /// var scaleByLoss = GradientTransformation.WithExtraArgs(
    ///     _ => OptState.Empty,
    ///     (g, s, _, extra) => (g.Scale(extra.Value ?? 1.0), s));   // extra.Value: Update(grads, state, params, value: loss)
    /// </code></example>
    /// <param name="init">Builds the initial state.</param>
    /// <param name="update">Maps (gradients, state, parameters or null, extra arguments) to (updates, new state).</param>
    /// <returns>The transformation.</returns>
    public static GradientTransformation WithExtraArgs(
        Func<Params, OptState> init,
        Func<Params, OptState, Params?, UpdateExtraArgs, (Params Updates, OptState State)> update)
    {
        ArgumentNullException.ThrowIfNull(init);
        ArgumentNullException.ThrowIfNull(update);
        return new(init, (g, s, p) => update(g, s, p, UpdateExtraArgs.None)) { ExtraArgsUpdateFunction = update };
    }

    /// <summary>
    /// Like <see cref="Update(Params, OptState, Params?)"/>, also passing <paramref name="extraArgs"/>
    /// to every transformation that reads them (Optax's <c>update(grads, state, params, value=loss)</c>).
    /// </summary>
    /// <param name="grads">Gradients with the parameters' keys and shapes.</param>
    /// <param name="state">The state from <see cref="Init"/> or the previous update.</param>
    /// <param name="parameters">The current parameters, or null.</param>
    /// <param name="extraArgs">The extra arguments, e.g. the loss.</param>
    /// <returns>The updates and the new state.</returns>
    /// <exception cref="OptimizerStateException">The gradients' keys or shapes do not fit the state or the parameters.</exception>
    /// <exception cref="DisposedTensorException">A gradient, parameter or state tensor was disposed.</exception>
    public (Params Updates, OptState State) Update(Params grads, OptState state, Params? parameters, UpdateExtraArgs extraArgs)
    {
        ArgumentNullException.ThrowIfNull(grads);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(extraArgs);
        UpdateChecks.Validate(grads, state, parameters);
        using var noGrad = TorchSharp.torch.no_grad();
        try
        {
            return UpdateWithExtraArgs(grads, state, parameters, extraArgs);
        }
        catch (System.Runtime.InteropServices.ExternalException e)
        {
            throw UpdateChecks.Explain(grads, state, e);
        }
    }

    /// <summary>
    /// Like <see cref="Update(Params, OptState, Params?)"/>, passing the objective's current
    /// <paramref name="value"/> (the loss), as <see cref="Optimizers.ReduceOnPlateau"/> needs.
    /// </summary>
    /// <param name="grads">Gradients with the parameters' keys and shapes.</param>
    /// <param name="state">The state from <see cref="Init"/> or the previous update.</param>
    /// <param name="parameters">The current parameters, or null.</param>
    /// <param name="value">The current loss.</param>
    /// <returns>The updates and the new state.</returns>
    public (Params Updates, OptState State) Update(Params grads, OptState state, Params? parameters, double value) =>
        Update(grads, state, parameters, new UpdateExtraArgs(value));

    /// <summary>Calls the extra-argument update when there is one, else the plain one (no validation, no no_grad).</summary>
    internal (Params Updates, OptState State) UpdateWithExtraArgs(Params grads, OptState state, Params? parameters, UpdateExtraArgs extraArgs) =>
        ExtraArgsUpdateFunction is { } f ? f(grads, state, parameters, extraArgs) : UpdateFunction(grads, state, parameters);
}
