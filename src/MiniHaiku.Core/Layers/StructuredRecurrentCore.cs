using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>What one step of a structured core produces: an output and a state, each any tree of tensors.</summary>
/// <typeparam name="TOutput">The output type (a tensor, a tuple or a record of tensors).</typeparam>
/// <typeparam name="TState">The state type.</typeparam>
/// <param name="Output">This step's output.</param>
/// <param name="State">The state to feed to the next step.</param>
public sealed record CoreOutput<TOutput, TState>(TOutput Output, TState State);

/// <summary>
/// A recurrent core whose inputs, outputs and states are structured values (Haiku's <c>hk.RNNCore</c> over
/// pytrees): tensors, tuples, arrays, <c>ImmutableArray</c>/<c>ImmutableList</c>, or positional records (C#) /
/// records (F#) of them. <see cref="Recurrent.DynamicUnroll{TInput, TOutput, TState}"/> slices every input
/// tensor along time and stacks every output tensor back. <see cref="ResetCore{TState}"/> is one.
/// </summary>
/// <typeparam name="TInput">The per-step input type.</typeparam>
/// <typeparam name="TOutput">The per-step output type.</typeparam>
/// <typeparam name="TState">The state type.</typeparam>
public interface IRecurrentCore<TInput, TOutput, TState>
{
    /// <summary>Runs one time step.</summary>
    /// <param name="x">The input at this step.</param>
    /// <param name="state">The previous state.</param>
    /// <returns>A model producing the output and the next state.</returns>
    Model<CoreOutput<TOutput, TState>> Call(TInput x, TState state);

    /// <summary>The initial state.</summary>
    /// <param name="batchSize">The batch size; null for an unbatched state.</param>
    /// <param name="dtype">The element type; default <see cref="ScalarType.Float32"/>.</param>
    /// <returns>The initial state.</returns>
    TState InitialState(long? batchSize, ScalarType dtype = ScalarType.Float32);
}

/// <summary>What unrolling a structured core produces.</summary>
/// <typeparam name="TOutput">The per-step output type; here every tensor has a time axis.</typeparam>
/// <typeparam name="TState">The state type.</typeparam>
/// <param name="Outputs">The outputs, every tensor stacked along time.</param>
/// <param name="FinalState">The state after the last step.</param>
public sealed record UnrollResult<TOutput, TState>(TOutput Outputs, TState FinalState)
{
    /// <summary>With <c>returnAllStates</c>: every step's state, stacked along time; otherwise default.</summary>
    public TState? AllStates { get; init; }
}

public static partial class Recurrent
{
    /// <summary>
    /// Unrolls a structured core (Haiku's <c>hk.dynamic_unroll</c> over pytrees): every tensor of
    /// <paramref name="inputs"/> is sliced along time, and every tensor of the outputs is stacked back.
    /// </summary>
    /// <typeparam name="TInput">The per-step input type (the sequence has the same structure, with a time axis).</typeparam>
    /// <typeparam name="TOutput">The per-step output type.</typeparam>
    /// <typeparam name="TState">The state type.</typeparam>
    /// <param name="core">The core.</param>
    /// <param name="inputs">The sequence: a tree whose tensors all have the time axis at 0 (time major) or 1.</param>
    /// <param name="initialState">The state before the first step.</param>
    /// <param name="timeMajor">Whether time is the first axis (Haiku's default) or the second.</param>
    /// <param name="reverse">Run from the last step to the first; outputs keep their positions.</param>
    /// <param name="returnAllStates">Also stack every step's state into <see cref="UnrollResult{TOutput, TState}.AllStates"/>.</param>
    /// <returns>A model producing the stacked outputs and the final state.</returns>
    /// <exception cref="LayerInputException">No tensor in the inputs, tensors without the time axis, or different lengths.</exception>
    public static Model<UnrollResult<TOutput, TState>> DynamicUnroll<TInput, TOutput, TState>(IRecurrentCore<TInput, TOutput, TState> core,
        TInput inputs, TState initialState, bool timeMajor = true, bool reverse = false, bool returnAllStates = false)
    {
        ArgumentNullException.ThrowIfNull(core);
        var where = core is Module m ? m.Name.Path : nameof(DynamicUnroll);
        var axis = timeMajor ? 0 : 1;
        var leaves = TensorTree.Leaves(inputs);
        if (leaves.Count == 0)
            throw new LayerInputException(where, $"{nameof(DynamicUnroll)} needs inputs that contain at least one tensor, got {ValueShapes.Describe(inputs)}.");
        var bad = leaves.FirstOrDefault(t => t.dim() <= axis || t.shape[axis] != leaves[0].shape[axis] || t.shape[axis] == 0);
        if (bad is not null || leaves[0].dim() <= axis)
            throw new LayerInputException(where,
                $"{nameof(DynamicUnroll)} needs every input tensor to have the same non-empty time axis at position {axis}, got {ValueShapes.Describe(inputs)}.");
        var count = leaves[0].shape[axis];
        var order = Enumerable.Range(0, (int)count).ToArray();
        if (reverse) Array.Reverse(order);
        var steps = order.Select(t => TensorTree.Map(inputs, x => x.select(axis, t))).ToArray();
        return Hk.Scan((TState state, TInput x) => core.Call(x, state).Select(r => (r.State, (r.Output, r.State))), initialState, steps)
            .Select(r =>
            {
                var outputs = r.Outputs.Select(o => (object?)o.Output).ToList();
                if (reverse) outputs.Reverse();
                var stacked = (TOutput)TensorTree.MapMany(outputs, ts => torch.stack(ts, axis))!;
                var result = new UnrollResult<TOutput, TState>(stacked, r.Carry);
                return returnAllStates ? result with { AllStates = StackStates(r.Outputs.Select(o => o.State), reverse, axis) } : result;
            });
    }
}
