using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// A multi-layer perceptron (Haiku's <c>hk.MLP</c>): one <see cref="Linear"/> per output size, named
/// <c>Linear_0</c>, <c>Linear_1</c>, … inside <c>{path}/__call__</c>, with the activation between
/// layers (and after the last one if <see cref="ActivateFinal"/>). With a dropout rate and
/// <c>isTraining</c>, dropout is applied before each activation, as Haiku does.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="OutputSizes">The output size of each layer, in order.</param>
/// <param name="Activation">The activation between layers.</param>
/// <param name="ActivateFinal">Whether to activate (and drop out) the last layer's output too.</param>
/// <param name="DropoutRate">The dropout rate used when training; 0 for none.</param>
/// <param name="WithBias">Whether each layer has a bias.</param>
/// <param name="WInit">The initializer of every <c>w</c>; null for <see cref="Linear"/>'s default.</param>
/// <param name="BInit">The initializer of every <c>b</c>; null for zeros.</param>
/// <example>
/// <code>
/// // [N, 784] → [N, 10], ReLU between the layers; dropout only when training (needs a seed in Apply).
/// return MLP.Create([300, 100, 10], dropoutRate: 0.1).Call(x, isTraining: true);
/// </code>
/// </example>
public sealed record MLP(
    ModuleName Name,
    IReadOnlyList<int> OutputSizes,
    Func<Tensor, Tensor> Activation,
    bool ActivateFinal,
    double DropoutRate,
    bool WithBias,
    Initializer? WInit,
    Initializer? BInit) : Layer(Name)
{
    /// <summary>Creates an MLP.</summary>
    /// <param name="outputSizes">The output size of each layer (at least one, all positive).</param>
    /// <param name="activation">The activation; default <see cref="Activations.Relu"/>.</param>
    /// <param name="activateFinal">Whether to activate the final output too.</param>
    /// <param name="dropoutRate">Dropout before each activation when training, in [0, 1); 0 for none.</param>
    /// <param name="withBias">Whether each layer has a bias.</param>
    /// <param name="wInit">The initializer of each <c>w</c>; default <see cref="Linear"/>'s.</param>
    /// <param name="bInit">The initializer of each <c>b</c>; default zeros.</param>
    /// <param name="name">An explicit module name, or null for <c>MLP_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="LayerConfigurationException">The sizes or the rate are invalid.</exception>
    public static Model<MLP> Create(
        IReadOnlyList<int> outputSizes,
        Func<Tensor, Tensor>? activation = null,
        bool activateFinal = false,
        double dropoutRate = 0.0,
        bool withBias = true,
        Initializer? wInit = null,
        Initializer? bInit = null,
        string? name = null)
    {
        ArgumentNullException.ThrowIfNull(outputSizes);
        if (outputSizes.Count == 0) throw new LayerConfigurationException(nameof(MLP), "needs at least one output size.");
        if (outputSizes.Any(s => s < 1))
            throw new LayerConfigurationException(nameof(MLP), $"output sizes must be positive, got [{string.Join(", ", outputSizes)}].");
        if (!(dropoutRate >= 0 && dropoutRate < 1))
            throw new LayerConfigurationException(nameof(MLP), $"dropoutRate must be in [0, 1), got {dropoutRate}.");
        var sizes = outputSizes.ToArray();
        return Hk.Module(n => new MLP(n, sizes, activation ?? Activations.Relu, activateFinal, dropoutRate, withBias, wInit, bInit), name);
    }

    /// <summary>The call without the extra arguments: <c>Call(x)</c>.</summary>
    /// <param name="x">The input.</param>
    /// <returns>A model producing the output.</returns>
    protected override Model<Tensor> Forward(Tensor x) => Body(x, false);

    /// <summary>Applies the layers in order.</summary>
    /// <param name="x">An input of shape <c>[..., in]</c>.</param>
    /// <param name="isTraining">Whether to apply dropout (needs a seed or key in <c>Apply</c> when the rate is positive).</param>
    /// <returns>A model producing <c>[..., OutputSizes[^1]]</c>.</returns>
    public Model<Tensor> Call(Tensor x, bool isTraining)
    {
        ArgumentNullException.ThrowIfNull(x);
        return Method(Body(x, isTraining), x);
    }

    private Model<Tensor> Body(Tensor x, bool isTraining)
    {
        var last = OutputSizes.Count - 1;
        var dropout = isTraining && DropoutRate > 0;
        return Hk.Aggregate(Enumerable.Range(0, OutputSizes.Count), x, (h, i) =>
            from layer in Linear.Create(OutputSizes[i], WithBias, WInit, BInit)
            from y in layer.Call(h)
            from d in i < last || ActivateFinal
                ? (dropout ? Hk.Dropout(DropoutRate, y) : Hk.Pure(y)).Select(Activation)
                : Hk.Pure(y)
            select d);
    }
}

public static partial class LayerExtensions
{
    /// <summary>Creates the MLP and calls it: <c>from y in MLP.Create([64, 10]).Call(x)</c>.</summary>
    /// <param name="mlp">The model creating the MLP.</param>
    /// <param name="x">The input.</param>
    /// <param name="isTraining">Whether to apply dropout.</param>
    /// <returns>A model producing the output.</returns>
    public static Model<Tensor> Call(this Model<MLP> mlp, Tensor x, bool isTraining)
    {
        ArgumentNullException.ThrowIfNull(mlp);
        return mlp.SelectMany(m => m.Call(x, isTraining));
    }
}
