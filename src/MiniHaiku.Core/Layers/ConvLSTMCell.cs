using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>The step shared by <see cref="Conv1DLSTM"/> and <see cref="Conv2DLSTM"/> (Haiku's <c>ConvNDLSTM</c>).</summary>
internal static class ConvLSTMCell
{
    /// <summary>Checks the input against the declared spatial shape and the state against the input.</summary>
    public static void Validate(string path, string layer, Tensor x, LSTMState state, IReadOnlyList<long> inputShape, int outputChannels)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(state);
        var n = inputShape.Count;
        long[] xs = x.shape;
        var batched = xs.Length == n + 2;
        if ((!batched && xs.Length != n + 1) || !xs.AsSpan(batched ? 1 : 0, n).SequenceEqual(inputShape.ToArray()))
            throw new LayerInputException(path,
                $"{layer} was created for inputs of spatial shape {ShapeText.Format([.. inputShape])} (channels last: [batch, {string.Join(", ", inputShape)}, channels] or without batch), got {ShapeText.Format(xs)}.");
        RecurrentChecks.RequireState(path, layer, x, state.Hidden, outputChannels, "hidden state");
        RecurrentChecks.RequireState(path, layer, x, state.Cell, outputChannels, "cell state");
    }

    /// <summary>Haiku's gates (i, g, f, o) from two convolutions, forget bias +1.</summary>
    public static CoreOutput<LSTMState> Gates(Tensor inputToHidden, Tensor hiddenToHidden, LSTMState state)
    {
        var gates = inputToHidden.Plus(hiddenToHidden).chunk(4, -1);
        using var forget = gates[2].Plus(1.0);
        var c = torch.sigmoid(forget).mul(state.Cell).Plus(torch.sigmoid(gates[0]).mul(torch.tanh(gates[1])));
        var h = torch.sigmoid(gates[3]).mul(torch.tanh(c));
        return new CoreOutput<LSTMState>(h, new LSTMState(h, c));
    }

    public static LSTMState Initial(IReadOnlyList<long> inputShape, int outputChannels, long? batchSize, ScalarType dtype)
    {
        long[] shape = batchSize is { } b ? [b, .. inputShape, outputChannels] : [.. inputShape, outputChannels];
        return new LSTMState(torch.zeros(shape, dtype: dtype), torch.zeros(shape, dtype: dtype));
    }

    public static long[] Shape(string layer, IReadOnlyList<int> inputShape, int count)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        if (inputShape.Count != count || inputShape.Any(d => d < 1))
            throw new LayerConfigurationException(layer, $"inputShape needs {count} positive spatial sizes (without batch and channels), got ({string.Join(", ", inputShape)}).");
        return inputShape.Select(d => (long)d).ToArray();
    }
}
