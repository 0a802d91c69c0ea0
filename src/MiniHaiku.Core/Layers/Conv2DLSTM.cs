using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// A convolutional LSTM over images (Haiku's <c>hk.Conv2DLSTM</c>, Shi et al. 2015): like <see cref="LSTM"/>
/// with the linear maps replaced by SAME-padded convolutions. Two <see cref="Conv2D"/>s named
/// <c>input_to_hidden</c> and <c>hidden_to_hidden</c> (each with a bias, <c>w</c>
/// <c>[kh, kw, in, 4·C]</c>) give the gates <c>(i, g, f, o)</c>; <c>c' = σ(f + 1)·c + σ(i)·tanh(g)</c>,
/// <c>h' = σ(o)·tanh(c')</c>. Inputs and states are channels last, <c>[batch, H, W, channels]</c>.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="InputShape">The spatial shape (H, W) of inputs and states, without batch and channels.</param>
/// <param name="OutputChannels">The channels of h and c.</param>
/// <param name="KernelShape">The convolutions' (kh, kw).</param>
/// <example>
/// <code>
/// // One step on x [N, H, W, C]: h and c are [N, H, W, 8].
/// return from core in Conv2DLSTM.Create([(int)x.shape[1], (int)x.shape[2]], outputChannels: 8, kernelSize: 3)
///        from step in core.Call(x, core.InitialState(x.shape[0], x.dtype))
///        select step.Output;
/// </code>
/// </example>
public sealed record Conv2DLSTM(ModuleName Name, IReadOnlyList<long> InputShape, int OutputChannels, IReadOnlyList<int> KernelShape)
    : Module(Name), IRecurrentCore<LSTMState>
{
    /// <summary>Creates a 2-D convolutional LSTM with a square kernel.</summary>
    /// <param name="inputShape">(H, W) of the inputs.</param>
    /// <param name="outputChannels">The channels of h and c (positive).</param>
    /// <param name="kernelSize">The kernel's height and width.</param>
    /// <param name="name">An explicit module name, or null for <c>Conv2DLSTM_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="LayerConfigurationException">A size is not positive.</exception>
    public static Model<Conv2DLSTM> Create(IReadOnlyList<int> inputShape, int outputChannels, int kernelSize, string? name = null) =>
        Create(inputShape, outputChannels, [kernelSize, kernelSize], name);

    /// <summary>Creates a 2-D convolutional LSTM.</summary>
    /// <param name="inputShape">(H, W) of the inputs.</param>
    /// <param name="outputChannels">The channels of h and c (positive).</param>
    /// <param name="kernelShape">(kh, kw).</param>
    /// <param name="name">An explicit module name, or null for <c>Conv2DLSTM_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="LayerConfigurationException">A size is not positive.</exception>
    public static Model<Conv2DLSTM> Create(IReadOnlyList<int> inputShape, int outputChannels, IReadOnlyList<int> kernelShape, string? name = null)
    {
        var shape = ConvLSTMCell.Shape(nameof(Conv2DLSTM), inputShape, 2);
        if (outputChannels < 1) throw new LayerConfigurationException(nameof(Conv2DLSTM), $"outputChannels must be positive, got {outputChannels}.");
        var kernel = ConvOps.Positive(nameof(Conv2DLSTM), "kernelShape", kernelShape, 2).Select(k => (int)k).ToArray();
        return Hk.Module(n => new Conv2DLSTM(n, shape, outputChannels, kernel), name);
    }

    /// <inheritdoc />
    public Model<CoreOutput<LSTMState>> Call(Tensor x, LSTMState state)
    {
        ConvLSTMCell.Validate(Name.Path, nameof(Conv2DLSTM), x, state, InputShape, OutputChannels);
        return Method(
            from i2h in Conv2D.Create(4 * OutputChannels, KernelShape, [1, 1], Pad.Same, [1, 1], name: "input_to_hidden").Call(x)
            from h2h in Conv2D.Create(4 * OutputChannels, KernelShape, [1, 1], Pad.Same, [1, 1], name: "hidden_to_hidden").Call(state.Hidden)
            select ConvLSTMCell.Gates(i2h, h2h, state), x);
    }

    /// <inheritdoc />
    public LSTMState InitialState(long? batchSize, ScalarType dtype = ScalarType.Float32) =>
        ConvLSTMCell.Initial(InputShape, OutputChannels, batchSize, dtype);
}
