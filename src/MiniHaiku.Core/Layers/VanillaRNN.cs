using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// The basic recurrent core (Haiku's <c>hk.VanillaRNN</c>): <c>h' = relu(input_to_hidden(x) +
/// hidden_to_hidden(h))</c>; output and state are both <c>h'</c>. Its two <see cref="Linear"/> layers are
/// named <c>input_to_hidden</c> and <c>hidden_to_hidden</c>, each with a bias (Haiku's
/// <c>double_bias</c>).
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="HiddenSize">The state width.</param>
/// <param name="DoubleBias">Whether <c>hidden_to_hidden</c> also has a bias.</param>
/// <param name="Activation">The nonlinearity; Haiku uses ReLU.</param>
/// <example>
/// <code>
/// // One step on x [N, F]; unroll over time with Recurrent.DynamicUnroll.
/// return from core in VanillaRNN.Create(32)
///        from step in core.Call(x, core.InitialState(x.shape[0], x.dtype))
///        select step.Output;
/// </code>
/// </example>
public sealed record VanillaRNN(ModuleName Name, int HiddenSize, bool DoubleBias, Func<Tensor, Tensor> Activation) : Module(Name), IRecurrentCore<Tensor>
{
    /// <summary>Creates a vanilla RNN core.</summary>
    /// <param name="hiddenSize">The state width (positive).</param>
    /// <param name="doubleBias">Whether both linear layers have a bias (Haiku's default true).</param>
    /// <param name="activation">The nonlinearity; default <see cref="Activations.Relu"/>.</param>
    /// <param name="name">An explicit module name, or null for <c>VanillaRNN_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<VanillaRNN> Create(int hiddenSize, bool doubleBias = true, Func<Tensor, Tensor>? activation = null, string? name = null)
    {
        if (hiddenSize < 1) throw new LayerConfigurationException(nameof(VanillaRNN), $"hiddenSize must be positive, got {hiddenSize}.");
        return Hk.Module(n => new VanillaRNN(n, hiddenSize, doubleBias, activation ?? Activations.Relu), name);
    }

    /// <inheritdoc />
    public Model<CoreOutput<Tensor>> Call(Tensor x, Tensor state)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(state);
        RecurrentChecks.RequireState(Name.Path, nameof(VanillaRNN), x, state, HiddenSize);
        return Method(
            from a in Linear.Create(HiddenSize, name: "input_to_hidden").Call(x)
            from b in Linear.Create(HiddenSize, DoubleBias, name: "hidden_to_hidden").Call(state)
            let h = Activation(a.Plus(b))
            select new CoreOutput<Tensor>(h, h), x);
    }

    /// <inheritdoc />
    public Tensor InitialState(long? batchSize, ScalarType dtype = ScalarType.Float32) =>
        batchSize is { } b ? torch.zeros(b, HiddenSize, dtype: dtype) : torch.zeros(HiddenSize, dtype: dtype);
}
