using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>The state of an <see cref="LSTM"/>: hidden and cell, each <c>[batch, hidden]</c>.</summary>
/// <param name="Hidden">The hidden state h (also the output).</param>
/// <param name="Cell">The cell state c.</param>
public sealed record LSTMState(Tensor Hidden, Tensor Cell);

/// <summary>
/// A long short-term memory core (Haiku's <c>hk.LSTM</c>). One <see cref="Linear"/> named <c>linear</c>
/// maps <c>[x, h]</c> to the four gates <c>(i, g, f, o)</c> (its <c>w</c> is <c>[in + hidden, 4·hidden]</c>);
/// then <c>c' = σ(f + 1)·c + σ(i)·tanh(g)</c> and <c>h' = σ(o)·tanh(c')</c> (the +1 is Haiku's forget
/// bias). The output is <c>h'</c>.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="HiddenSize">The width of h and c.</param>
/// <example>
/// <code>
/// // One step on x [N, F] from the zero state; step.State is the next LSTMState.
/// return from core in LSTM.Create(32)
///        from step in core.Call(x, core.InitialState(x.shape[0], x.dtype))
///        select step.Output;
/// </code>
/// </example>
public sealed record LSTM(ModuleName Name, int HiddenSize) : Module(Name), IRecurrentCore<LSTMState>
{
    /// <summary>Creates an LSTM core.</summary>
    /// <param name="hiddenSize">The width of h and c (positive).</param>
    /// <param name="name">An explicit module name, or null for <c>LSTM_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<LSTM> Create(int hiddenSize, string? name = null)
    {
        if (hiddenSize < 1) throw new LayerConfigurationException(nameof(LSTM), $"hiddenSize must be positive, got {hiddenSize}.");
        return Hk.Module(n => new LSTM(n, hiddenSize), name);
    }

    /// <inheritdoc />
    public Model<CoreOutput<LSTMState>> Call(Tensor x, LSTMState state)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(state);
        RecurrentChecks.RequireState(Name.Path, nameof(LSTM), x, state.Hidden, HiddenSize, "hidden state");
        RecurrentChecks.RequireState(Name.Path, nameof(LSTM), x, state.Cell, HiddenSize, "cell state");
        return Method(
            from gated in Linear.Create(4 * HiddenSize, name: "linear").Call(torch.cat([x, state.Hidden], -1))
            let gates = gated.chunk(4, -1)
            let c = (torch.sigmoid(gates[2].Plus(1.0)) * state.Cell).PlusInPlace(torch.sigmoid(gates[0]) * torch.tanh(gates[1]))
            let h = torch.sigmoid(gates[3]) * torch.tanh(c)
            select new CoreOutput<LSTMState>(h, new LSTMState(h, c)), x);
    }

    /// <inheritdoc />
    public LSTMState InitialState(long? batchSize, ScalarType dtype = ScalarType.Float32)
    {
        long[] shape = batchSize is { } b ? [b, HiddenSize] : [HiddenSize];
        return new LSTMState(torch.zeros(shape, dtype: dtype), torch.zeros(shape, dtype: dtype));
    }
}
