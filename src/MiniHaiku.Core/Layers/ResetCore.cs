using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>The per-step input of a <see cref="ResetCore{TState}"/>: the wrapped core's input and the reset flags.</summary>
/// <param name="Input">The wrapped core's input, <c>[batch, ...]</c> (or unbatched).</param>
/// <param name="ShouldReset">Bool (or 0/1) flags, <c>[batch]</c> (or a scalar when unbatched): true resets that
/// example's state to the initial state before the step.</param>
public sealed record ResetInput(Tensor Input, Tensor ShouldReset);

/// <summary>
/// Wraps a core so that its state is reset to <see cref="IRecurrentCore{TState}.InitialState"/> wherever
/// <see cref="ResetInput.ShouldReset"/> is true, before the step (Haiku's <c>hk.ResetCore</c>): for sequences
/// of episodes concatenated along time. Unroll it with
/// <see cref="Recurrent.DynamicUnroll{TInput, TOutput, TState}"/> over <c>new ResetInput(xs, resets)</c>.
/// It has no parameters of its own; the wrapped core keeps its names.
/// </summary>
/// <typeparam name="TState">The wrapped core's state type.</typeparam>
/// <param name="Name">The module's name.</param>
/// <param name="Core">The wrapped core.</param>
/// <example>
/// <code>
/// // x [T, N, F]; the state of example n restarts at the steps where starts[t, n] is true.
/// var starts = torch.zeros([x.shape[0], x.shape[1]], dtype: ScalarType.Bool);
/// return from lstm in LSTM.Create(8)
///        from core in ResetCore.Create(lstm)
///        from r in Recurrent.DynamicUnroll(core, new ResetInput(x, starts), core.InitialState(x.shape[1], x.dtype))
///        select r.Outputs;
/// </code>
/// </example>
public sealed record ResetCore<TState>(ModuleName Name, IRecurrentCore<TState> Core) : Module(Name), IRecurrentCore<ResetInput, Tensor, TState>
{
    /// <summary>Resets the flagged examples' state, then runs the wrapped core.</summary>
    /// <param name="x">The input and the reset flags.</param>
    /// <param name="state">The previous state.</param>
    /// <returns>A model producing the wrapped core's output and next state.</returns>
    /// <exception cref="LayerInputException">The flags' shape is not the leading shape of every state tensor.</exception>
    public Model<CoreOutput<Tensor, TState>> Call(ResetInput x, TState state)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(state);
        var flags = x.ShouldReset.dtype == ScalarType.Bool ? x.ShouldReset : x.ShouldReset.to_type(ScalarType.Bool);
        long? batch = flags.dim() switch
        {
            0 => null,
            1 => flags.shape[0],
            _ => throw new LayerInputException(Name.Path, $"ResetCore needs shouldReset of shape [batch] (or a scalar when unbatched), got {ShapeText.Format(flags.shape)}."),
        };
        var leaves = TensorTree.Leaves(state);
        var misfit = leaves.FirstOrDefault(s => s.dim() < flags.dim() || !s.shape.AsSpan(0, (int)flags.dim()).SequenceEqual(flags.shape));
        if (misfit is not null)
            throw new LayerInputException(Name.Path,
                $"ResetCore's shouldReset of shape {ShapeText.Format(flags.shape)} does not fit the state tensor of shape {ShapeText.Format(misfit.shape)}: its shape must be the state's leading (batch) shape.");
        var dtype = leaves.Count > 0 ? leaves[0].dtype : ScalarType.Float32;
        var initial = Core.InitialState(batch, dtype);
        var reset = (TState)TensorTree.MapMany([initial, state], ts =>
        {
            var s = ts[1];
            var shape = flags.shape.Concat(Enumerable.Repeat(1L, (int)(s.dim() - flags.dim()))).ToArray();
            return torch.where(flags.reshape(shape), ts[0].to_type(s.dtype), s);
        })!;
        return Method(Core.Call(x.Input, reset).Select(r => new CoreOutput<Tensor, TState>(r.Output, r.State)), x.Input);
    }

    /// <summary>The wrapped core's initial state.</summary>
    /// <param name="batchSize">The batch size; null for an unbatched state.</param>
    /// <param name="dtype">The element type.</param>
    /// <returns>The initial state.</returns>
    public TState InitialState(long? batchSize, ScalarType dtype = ScalarType.Float32) => Core.InitialState(batchSize, dtype);
}

/// <summary>Creates <see cref="ResetCore{TState}"/>s with the state type inferred.</summary>
public static class ResetCore
{
    /// <summary>Wraps <paramref name="core"/> in a reset core.</summary>
    /// <typeparam name="TState">The core's state type.</typeparam>
    /// <param name="core">The core to wrap (created beforehand, as in Haiku).</param>
    /// <param name="name">An explicit module name, or null for <c>ResetCore_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    /// <example><code>
    /// var starts = torch.zeros([x.shape[0], x.shape[1]], dtype: ScalarType.Bool);   // x [T, N, F]: no restarts
    /// return from lstm in LSTM.Create(8)
    ///        from core in ResetCore.Create(lstm)
    ///        from r in Recurrent.DynamicUnroll(core, new ResetInput(x, starts), core.InitialState(x.shape[1], x.dtype))
    ///        select r.Outputs;
    /// </code></example>
    public static Model<ResetCore<TState>> Create<TState>(IRecurrentCore<TState> core, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(core);
        return Hk.Module(n => new ResetCore<TState>(n, core), name);
    }
}
