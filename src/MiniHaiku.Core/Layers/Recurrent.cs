using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>What unrolling a core produces: every step's output, stacked along time, and the final state.</summary>
/// <typeparam name="TState">The core's state type.</typeparam>
/// <param name="Outputs">The outputs, <c>[T, batch, ...]</c> (time major) or <c>[batch, T, ...]</c>.</param>
/// <param name="FinalState">The state after the last step.</param>
public sealed record UnrollResult<TState>(Tensor Outputs, TState FinalState);

/// <summary>
/// Unrolls a recurrent core over a sequence (Haiku's <c>hk.dynamic_unroll</c> and
/// <c>hk.static_unroll</c>). The same core instance is called at every step, so all steps share its
/// parameters: unrolling for T steps creates exactly the parameters of one step.
/// </summary>
public static class Recurrent
{
    /// <summary>
    /// Unrolls <paramref name="core"/> with <see cref="Hk.Scan{TCarry, TIn, TOut}"/> (stack-safe for long
    /// sequences).
    /// </summary>
    /// <typeparam name="TState">The core's state type.</typeparam>
    /// <param name="core">The core.</param>
    /// <param name="inputs">The sequence, <c>[T, batch, features]</c> (time major) or <c>[batch, T, features]</c>.</param>
    /// <param name="initialState">The state before the first step, e.g. <c>core.InitialState(batch)</c>.</param>
    /// <param name="timeMajor">Whether time is the first axis of inputs and outputs (Haiku's default).</param>
    /// <returns>A model producing the stacked outputs and the final state.</returns>
    /// <exception cref="LayerInputException">The sequence is empty or has no time axis.</exception>
    public static Model<UnrollResult<TState>> DynamicUnroll<TState>(IRecurrentCore<TState> core, Tensor inputs, TState initialState, bool timeMajor = true)
    {
        ArgumentNullException.ThrowIfNull(core);
        var steps = Steps(core, inputs, timeMajor, nameof(DynamicUnroll));
        return Hk.Scan((TState state, Tensor x) => core.Call(x, state).Select(r => (r.State, r.Output)), initialState, steps)
            .Select(r => new UnrollResult<TState>(torch.stack(r.Outputs, timeMajor ? 0 : 1), r.Carry));
    }

    /// <summary>
    /// Unrolls <paramref name="core"/> as a plain chain of calls, one per step (Haiku's
    /// <c>static_unroll</c>). Same result and parameters as <see cref="DynamicUnroll{TState}"/>.
    /// </summary>
    /// <typeparam name="TState">The core's state type.</typeparam>
    /// <param name="core">The core.</param>
    /// <param name="inputs">The sequence, <c>[T, batch, features]</c> (time major) or <c>[batch, T, features]</c>.</param>
    /// <param name="initialState">The state before the first step.</param>
    /// <param name="timeMajor">Whether time is the first axis of inputs and outputs.</param>
    /// <returns>A model producing the stacked outputs and the final state.</returns>
    public static Model<UnrollResult<TState>> StaticUnroll<TState>(IRecurrentCore<TState> core, Tensor inputs, TState initialState, bool timeMajor = true)
    {
        ArgumentNullException.ThrowIfNull(core);
        var steps = Steps(core, inputs, timeMajor, nameof(StaticUnroll));
        var start = (State: initialState, Outputs: System.Collections.Immutable.ImmutableList<Tensor>.Empty);
        return Hk.Aggregate(steps, start, (acc, x) => core.Call(x, acc.State).Select(r => (r.State, acc.Outputs.Add(r.Output))))
            .Select(acc => new UnrollResult<TState>(torch.stack(acc.Outputs, timeMajor ? 0 : 1), acc.State));
    }

    private static Tensor[] Steps<TState>(IRecurrentCore<TState> core, Tensor inputs, bool timeMajor, string function)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var where = core is Module m ? m.Name.Path : function;
        var shape = inputs.shape;
        var axis = timeMajor ? 0 : 1;
        if (shape.Length <= axis || shape[axis] == 0)
            throw new LayerInputException(where, $"{function} needs a non-empty time axis at position {axis} ({(timeMajor ? "[T, batch, ...]" : "[batch, T, ...]")}), got shape {ShapeText.Format(shape)}.");
        return inputs.unbind(axis);
    }
}
