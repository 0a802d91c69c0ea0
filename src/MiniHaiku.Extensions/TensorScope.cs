using MiniHaiku.Optim;
using MiniHaiku.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku;

/// <summary>
/// Helpers for tensor lifetimes in the imperative shell. A pure step (<c>grads = Grad…; (u, s) = opt.Update…;
/// p = p.ApplyUpdates(u)</c>) creates new tensors every time and never frees the old ones; run it through
/// <c>TensorScope.Advance(p, s, step)</c> and the loop stays flat.
/// </summary>
public static class TensorScope
{
    /// <summary>
    /// Runs <paramref name="body"/> inside a fresh dispose scope and disposes every tensor it created
    /// except those in the returned <see cref="Params"/>, which are moved to the caller's scope.
    /// </summary>
    /// <param name="body">Work that produces parameters.</param>
    /// <returns>The parameters, alive after the scope ends.</returns>
    public static Params Keep(Func<Params> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return Keep(body, p => p.Values);
    }

    /// <summary>
    /// Runs <paramref name="body"/> inside a fresh dispose scope and disposes every tensor it created except
    /// those <paramref name="tensorsOf"/> finds in its result, which are moved to the caller's scope. Nothing
    /// that existed before is disposed. If <paramref name="body"/> throws, everything it created is disposed.
    /// </summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="body">The work.</param>
    /// <param name="tensorsOf">Every tensor the result holds.</param>
    /// <returns>The result, its tensors alive after the scope ends.</returns>
    public static T Keep<T>(Func<T> body, Func<T, IEnumerable<Tensor>> tensorsOf)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(tensorsOf);
        using var scope = torch.NewDisposeScope();
        var result = body();
        foreach (var t in tensorsOf(result))
            if (scope.Contains(t)) scope.MoveToOuter(t);
        return result;
    }

    /// <summary>
    /// One step of a hand-written loop that keeps native memory flat: runs <paramref name="step"/> on
    /// <paramref name="state"/> inside a dispose scope, keeps only the tensors the new state holds, and then
    /// disposes the tensors of the old state that the new one does not hold. The old state is consumed:
    /// use only the returned one afterwards (tensors it shares with the old one stay alive). If
    /// <paramref name="step"/> throws, everything it created is disposed and the old state is left intact.
    /// </summary>
    /// <remarks>
    /// Tensors the step creates but does not put in the new state (gradients, updates, the loss) are
    /// disposed when it returns: read what you need (e.g. <c>loss.item&lt;float&gt;()</c>) inside the step.
    /// The first call consumes the state you start from, e.g. the parameters from <c>Init</c>: pass a
    /// clone (<c>parameters.Map(t =&gt; t.clone())</c>) if you still need them.
    /// </remarks>
    /// <typeparam name="T">The state type (a record or tuple of <see cref="Params"/>, <see cref="OptState"/>, …).</typeparam>
    /// <param name="state">The current state (consumed).</param>
    /// <param name="step">The pure step: old state to new state.</param>
    /// <param name="tensorsOf">Every tensor a state holds.</param>
    /// <returns>The new state.</returns>
    public static T Advance<T>(T state, Func<T, T> step, Func<T, IEnumerable<Tensor>> tensorsOf)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(tensorsOf);
        var old = new HashSet<Tensor>(tensorsOf(state), ReferenceEqualityComparer.Instance);
        var next = Keep(() => step(state), tensorsOf);
        var live = new HashSet<Tensor>(tensorsOf(next), ReferenceEqualityComparer.Instance);
        foreach (var t in old)
            if (!live.Contains(t)) t.Dispose();
        return next;
    }

    /// <summary>
    /// <see cref="Advance{T}(T, Func{T, T}, Func{T, IEnumerable{Tensor}})"/> for the pure Optax-style loop over
    /// parameters and optimizer state: keeps the new pair, disposes every temporary and what the old pair
    /// held that the new one does not. Consumes <paramref name="parameters"/> and <paramref name="optState"/>.
    /// </summary>
    /// <example>
    /// <code>
    /// (p, s) = TensorScope.Advance(p, s, (p, s) =>
    /// {
    ///     var (loss, grads) = valueAndGrad(p);
    ///     var (updates, next) = optimizer.Update(grads, s, p);
    ///     return (p.ApplyUpdates(updates), next);
    /// });
    /// </code>
    /// </example>
    /// <param name="parameters">The current parameters (consumed).</param>
    /// <param name="optState">The current optimizer state (consumed).</param>
    /// <param name="step">The pure step.</param>
    /// <returns>The new parameters and optimizer state.</returns>
    public static (Params Params, OptState OptState) Advance(Params parameters, OptState optState, Func<Params, OptState, (Params Params, OptState OptState)> step)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(optState);
        ArgumentNullException.ThrowIfNull(step);
        return Advance((parameters, optState), s => step(s.Item1, s.Item2), s => s.Item1.Values.Concat(s.Item2.Tensors()));
    }

    /// <summary>
    /// <see cref="Advance{T}(T, Func{T, T}, Func{T, IEnumerable{Tensor}})"/> for a <see cref="TrainState"/>
    /// (parameters, model state and optimizer state). Consumes <paramref name="state"/>.
    /// </summary>
    /// <param name="state">The current state (consumed).</param>
    /// <param name="step">The pure step.</param>
    /// <returns>The new state.</returns>
    public static TrainState Advance(TrainState state, Func<TrainState, TrainState> step)
    {
        ArgumentNullException.ThrowIfNull(state);
        return Advance(state, step, s => s.Tensors());
    }
}
