using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

/// <summary>
/// Ready-made <see cref="GradientTransformation"/>s and building blocks, in the spirit of Optax. The
/// update convention is Optax's: updates are <em>added</em> to the parameters
/// (<see cref="ParamsUpdates.ApplyUpdates"/>), so a descent step is <c>-learningRate * direction</c>.
/// </summary>
public static partial class Optimizers
{
    /// <summary>
    /// Applies <paramref name="transformations"/> one after another (<c>optax.chain</c>): the updates of
    /// each are the gradients of the next. The state holds each one's state, in order. Extra update
    /// arguments (<see cref="UpdateExtraArgs"/>) reach every transformation.
    /// </summary>
    /// <example><code>
    /// var opt = Optimizers.Chain(
    ///     Optimizers.ClipByGlobalNorm(1.0),
    ///     Optimizers.ScaleByAdam(),
    ///     Optimizers.ScaleByLearningRate(1e-3));   // each transforms the previous one's output
    /// </code></example>
    /// <param name="transformations">The transformations, first applied first.</param>
    /// <returns>The chained transformation.</returns>
    public static GradientTransformation Chain(params GradientTransformation[] transformations)
    {
        ArgumentNullException.ThrowIfNull(transformations);
        var ts = transformations.ToArray();
        foreach (var t in ts) ArgumentNullException.ThrowIfNull(t, nameof(transformations));
        var flats = ts.Select(t => t.Flat).ToArray();
        return GradientTransformation.WithExtraArgs(
            p => OptState.Of(ts.Select(t => t.InitFunction(p))),
            (grads, state, p, extra) =>
            {
                if (state.Inner.Count != ts.Length)
                    throw new OptimizerStateException($"Chain of {ts.Length} transformations got a state with {state.Inner.Count} inner states: the state was made by a different optimizer.");
                var updates = grads;
                var states = new OptState[ts.Length];
                for (var i = 0; i < ts.Length; i++) (updates, states[i]) = ts[i].UpdateWithExtraArgs(updates, state.Inner[i], p, extra);
                return (updates, OptState.Of(states));
            }).WithFlat(flats.All(f => f is not null) ? new FlatChain(flats!) : null);
    }

    /// <summary>Maps each gradient with its per-parameter slot tensors; a missing slot entry is a clear error.</summary>
    internal static Params MapWithSlots(Params grads, Params slot, string slotName, Func<Tensor, Tensor, Tensor> f) =>
        grads.Map((path, g) => f(g, SlotEntry(slot, slotName, path, g)));

    internal static Tensor SlotEntry(Params slot, string slotName, string path, Tensor? grad = null)
    {
        if (!slot.TryGetValue(path, out var s))
            throw new OptimizerStateException($"The optimizer state has no '{slotName}' entry for '{path}': it was made (Init) for different parameters.", path);
        if (grad is not null) UpdateChecks.RequireSameShape(path, grad, s, slotName);
        return s;
    }

    internal static Params RequireParams(Params? parameters, string who) =>
        parameters ?? throw new OptimizerStateException($"{who} needs the current parameters: call Update(grads, state, params).");
}
