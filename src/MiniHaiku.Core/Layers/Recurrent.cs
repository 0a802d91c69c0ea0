using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>What unrolling a core produces: every step's output, stacked along time, and the final state.</summary>
/// <typeparam name="TState">The core's state type.</typeparam>
/// <param name="Outputs">The outputs, <c>[T, batch, ...]</c> (time major) or <c>[batch, T, ...]</c>.</param>
/// <param name="FinalState">The state after the last step.</param>
public sealed record UnrollResult<TState>(Tensor Outputs, TState FinalState)
{
    /// <summary>
    /// With <c>returnAllStates</c>: the state after every step, each leaf stacked along time like the outputs
    /// (Haiku's <c>return_all_states=True</c>); otherwise null/default.
    /// </summary>
    public TState? AllStates { get; init; }
}

/// <summary>
/// Unrolls a recurrent core over a sequence (Haiku's <c>hk.dynamic_unroll</c> and
/// <c>hk.static_unroll</c>). The same core instance is called at every step, so all steps share its
/// parameters: unrolling for T steps creates exactly the parameters of one step.
/// </summary>
/// <example>
/// <code>
/// // x [T, N, F] → [T, N, 8]: an LSTM run over the time axis from the zero state.
/// return from core in LSTM.Create(8)
///        from r in Recurrent.DynamicUnroll(core, x, core.InitialState(x.shape[1], x.dtype))
///        select r.Outputs;
/// </code>
/// </example>
public static partial class Recurrent
{
    /// <summary>
    /// Unrolls <paramref name="core"/> with <see cref="Hk.Scan{TCarry, TIn, TOut}"/> (stack-safe for long
    /// sequences), as Haiku's <c>hk.dynamic_unroll</c>.
    /// </summary>
    /// <typeparam name="TState">The core's state type.</typeparam>
    /// <param name="core">The core.</param>
    /// <param name="inputs">The sequence, <c>[T, batch, features]</c> (time major) or <c>[batch, T, features]</c>.</param>
    /// <param name="initialState">The state before the first step, e.g. <c>core.InitialState(batch)</c>.</param>
    /// <param name="timeMajor">Whether time is the first axis of inputs and outputs (Haiku's default).</param>
    /// <param name="reverse">Run from the last step to the first; the outputs stay at their steps' positions
    /// and the final state is the state after step 0.</param>
    /// <param name="returnAllStates">Also stack the state after every step into <see cref="UnrollResult{TState}.AllStates"/>.</param>
    /// <returns>A model producing the stacked outputs and the final state.</returns>
    /// <exception cref="LayerInputException">The sequence is empty or has no time axis.</exception>
    /// <example><code>
    /// // x [T, N, F]: the LSTM runs backwards in time; every step's hidden state, [T, N, 8].
    /// return from core in LSTM.Create(8)
    ///        from r in Recurrent.DynamicUnroll(core, x, core.InitialState(x.shape[1], x.dtype), reverse: true, returnAllStates: true)
    ///        select r.AllStates!.Hidden;
    /// </code></example>
    public static Model<UnrollResult<TState>> DynamicUnroll<TState>(IRecurrentCore<TState> core, Tensor inputs, TState initialState,
        bool timeMajor = true, bool reverse = false, bool returnAllStates = false)
    {
        ArgumentNullException.ThrowIfNull(core);
        var steps = Steps(core, inputs, timeMajor, nameof(DynamicUnroll));
        if (reverse) Array.Reverse(steps);
        var axis = timeMajor ? 0 : 1;
        return Hk.Scan((TState state, Tensor x) => core.Call(x, state).Select(r => (r.State, (r.Output, r.State))), initialState, steps)
            .Select(r =>
            {
                var outputs = r.Outputs.Select(o => o.Output).ToList();
                if (reverse) outputs.Reverse();
                var result = new UnrollResult<TState>(torch.stack(outputs, axis), r.Carry);
                return returnAllStates ? result with { AllStates = StackStates(r.Outputs.Select(o => o.State), reverse, axis) } : result;
            });
    }

    /// <summary>Stacks per-step states (trees of tensors) along <paramref name="axis"/>, in time order.</summary>
    internal static TState StackStates<TState>(IEnumerable<TState> states, bool reverse, int axis)
    {
        var list = states.Cast<object?>().ToList();
        if (reverse) list.Reverse();
        return (TState)TensorTree.MapMany(list, leaves => torch.stack(leaves, axis))!;
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
