using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>What one step of a recurrent core produces (Haiku's <c>(output, next_state)</c>).</summary>
/// <typeparam name="TState">The core's state type.</typeparam>
/// <param name="Output">This step's output.</param>
/// <param name="State">The state to feed to the next step.</param>
public sealed record CoreOutput<TState>(Tensor Output, TState State);

/// <summary>
/// A recurrent core (Haiku's <c>hk.RNNCore</c>): a module that maps (input, state) to (output, next
/// state), and knows its initial state. Unroll it with <see cref="Recurrent.DynamicUnroll{TState}"/>.
/// </summary>
/// <typeparam name="TState">The state type (a tensor, or a record of tensors such as <see cref="LSTMState"/>).</typeparam>
public interface IRecurrentCore<TState>
{
    /// <summary>Runs one time step.</summary>
    /// <param name="x">The input at this step, <c>[batch, features]</c> (or <c>[features]</c> unbatched).</param>
    /// <param name="state">The previous state.</param>
    /// <returns>A model producing the output and the next state.</returns>
    Model<CoreOutput<TState>> Call(Tensor x, TState state);

    /// <summary>The zero state.</summary>
    /// <param name="batchSize">The batch size; null for an unbatched state.</param>
    /// <param name="dtype">The element type; default <see cref="ScalarType.Float32"/>.</param>
    /// <returns>The initial state.</returns>
    TState InitialState(long? batchSize, ScalarType dtype = ScalarType.Float32);
}

public static partial class LayerExtensions
{
    /// <summary>Creates a recurrent core and runs one step of it: <c>from r in LSTM.Create(8).Call(x, state) select r.Output</c>.</summary>
    /// <typeparam name="TCore">The core type (<see cref="LSTM"/>, <see cref="GRU"/>, <see cref="VanillaRNN"/>, <see cref="DeepRNN"/>, …).</typeparam>
    /// <typeparam name="TState">The core's state type.</typeparam>
    /// <param name="core">The model creating the core.</param>
    /// <param name="x">The input at this step.</param>
    /// <param name="state">The previous state.</param>
    /// <returns>A model producing the output and the next state.</returns>
    public static Model<CoreOutput<TState>> Call<TCore, TState>(this Model<TCore> core, Tensor x, TState state) where TCore : IRecurrentCore<TState>
    {
        ArgumentNullException.ThrowIfNull(core);
        return core.SelectMany(c => c.Call(x, state));
    }
}

/// <summary>Input/state checks shared by the recurrent cores.</summary>
internal static class RecurrentChecks
{
    /// <exception cref="LayerInputException">The state does not fit the input or the hidden size.</exception>
    public static void RequireState(string path, string layer, Tensor x, Tensor state, int hiddenSize, string what = "state")
    {
        LayerChecks.RequireFloatingInput(path, layer, x);
        LayerChecks.RequireSameDType(path, layer, what, state, x.dtype,
            $"Create the state with core.InitialState(batchSize, ScalarType.{x.dtype}), or cast the input or the state.");
        long[] xs = x.shape, ss = state.shape;
        if (xs.Length == 0)
            throw new LayerInputException(path, $"{layer} needs an input with a feature axis ([batch, features] or [features]), got a scalar.");
        var ok = ss.Length == xs.Length && ss[^1] == hiddenSize && ss.AsSpan(0, ss.Length - 1).SequenceEqual(xs.AsSpan(0, xs.Length - 1));
        if (!ok)
            throw new LayerInputException(path,
                $"{layer} {what} must have shape {ShapeText.Format([.. xs[..^1], hiddenSize])} for an input of shape {ShapeText.Format(xs)}, got {ShapeText.Format(ss)}. Use core.InitialState(batchSize).");
    }
}
