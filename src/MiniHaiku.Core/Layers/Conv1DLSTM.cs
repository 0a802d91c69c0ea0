using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// A convolutional LSTM over sequences of vectors (Haiku's <c>hk.Conv1DLSTM</c>, Shi et al. 2015): like <see cref="LSTM"/>
/// with the linear maps replaced by SAME-padded convolutions. Two <see cref="Conv1D"/>s named
/// <c>input_to_hidden</c> and <c>hidden_to_hidden</c> (each with a bias, <c>w</c>
/// <c>[k, in, 4·C]</c>) give the gates <c>(i, g, f, o)</c>; <c>c' = σ(f + 1)·c + σ(i)·tanh(g)</c>,
/// <c>h' = σ(o)·tanh(c')</c>. Inputs and states are channels last, <c>[batch, W, channels]</c>.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="InputShape">The spatial shape (W) of inputs and states, without batch and channels.</param>
/// <param name="OutputChannels">The channels of h and c.</param>
/// <param name="KernelShape">The convolutions' (k).</param>
/// <example>
/// <code>
/// // One step on x [N, W, C]: h and c are [N, W, 8].
/// return from core in Conv1DLSTM.Create([(int)x.shape[1]], outputChannels: 8, kernelSize: 3)
///        from step in core.Call(x, core.InitialState(x.shape[0], x.dtype))
///        select step.Output;
/// </code>
/// </example>
public sealed record Conv1DLSTM(ModuleName Name, IReadOnlyList<long> InputShape, int OutputChannels, IReadOnlyList<int> KernelShape)
    : Module(Name), IRecurrentCore<LSTMState>
{
    /// <summary>Creates a 1-D convolutional LSTM with a kernel size.</summary>
    /// <param name="inputShape">(W) of the inputs.</param>
    /// <param name="outputChannels">The channels of h and c (positive).</param>
    /// <param name="kernelSize">The kernel size.</param>
    /// <param name="name">An explicit module name, or null for <c>Conv1DLSTM_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="LayerConfigurationException">A size is not positive.</exception>
    public static Model<Conv1DLSTM> Create(IReadOnlyList<int> inputShape, int outputChannels, int kernelSize, string? name = null) =>
        Create(inputShape, outputChannels, [kernelSize], name);

    /// <summary>Creates a 1-D convolutional LSTM.</summary>
    /// <param name="inputShape">(W) of the inputs.</param>
    /// <param name="outputChannels">The channels of h and c (positive).</param>
    /// <param name="kernelShape">(k).</param>
    /// <param name="name">An explicit module name, or null for <c>Conv1DLSTM_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="LayerConfigurationException">A size is not positive.</exception>
    public static Model<Conv1DLSTM> Create(IReadOnlyList<int> inputShape, int outputChannels, IReadOnlyList<int> kernelShape, string? name = null)
    {
        var shape = ConvLSTMCell.Shape(nameof(Conv1DLSTM), inputShape, 1);
        if (outputChannels < 1) throw new LayerConfigurationException(nameof(Conv1DLSTM), $"outputChannels must be positive, got {outputChannels}.");
        var kernel = ConvOps.Positive(nameof(Conv1DLSTM), "kernelShape", kernelShape, 1).Select(k => (int)k).ToArray();
        return Hk.Module(n => new Conv1DLSTM(n, shape, outputChannels, kernel), name);
    }

    /// <inheritdoc />
    public Model<CoreOutput<LSTMState>> Call(Tensor x, LSTMState state)
    {
        ConvLSTMCell.Validate(Name.Path, nameof(Conv1DLSTM), x, state, InputShape, OutputChannels);
        return Method(
            from i2h in Conv1D.Create(4 * OutputChannels, KernelShape[0], 1, Pad.Same, 1, name: "input_to_hidden").Call(x)
            from h2h in Conv1D.Create(4 * OutputChannels, KernelShape[0], 1, Pad.Same, 1, name: "hidden_to_hidden").Call(state.Hidden)
            select ConvLSTMCell.Gates(i2h, h2h, state), x);
    }

    /// <inheritdoc />
    public LSTMState InitialState(long? batchSize, ScalarType dtype = ScalarType.Float32) =>
        ConvLSTMCell.Initial(InputShape, OutputChannels, batchSize, dtype);
}
