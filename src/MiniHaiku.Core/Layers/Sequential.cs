using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// Runs a list of layer functions one after another (Haiku's <c>hk.Sequential</c>). Each function is
/// called inside <c>{path}/__call__</c>, so modules it creates are named within this Sequential.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="Layers">The layers, in order.</param>
/// <example>
/// <code>
/// return Sequential.Create([
///     h =&gt; Linear.Create(32).Call(h),
///     h =&gt; Hk.Pure(Activations.Relu(h)),
///     h =&gt; Linear.Create(10).Call(h)]).Call(x);
/// </code>
/// </example>
public sealed record Sequential(ModuleName Name, IReadOnlyList<Func<Tensor, Model<Tensor>>> Layers) : Layer(Name)
{
    /// <summary>Creates a sequential module.</summary>
    /// <param name="layers">The layers; e.g. <c>x => Linear.Create(10).Call(x)</c> or <c>x => Hk.Pure(Activations.Relu(x))</c>.</param>
    /// <param name="name">An explicit module name, or null for <c>Sequential_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<Sequential> Create(IReadOnlyList<Func<Tensor, Model<Tensor>>> layers, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Any(l => l is null)) throw new LayerConfigurationException(nameof(Sequential), "a layer function is null.");
        var copy = layers.ToArray();
        return Hk.Module(n => new Sequential(n, copy), name);
    }

    /// <summary>Threads <paramref name="x"/> through every layer.</summary>
    /// <param name="x">The input.</param>
    /// <returns>A model producing the last layer's output.</returns>
    protected override Model<Tensor> Forward(Tensor x)
    {
        return Hk.Aggregate(Layers, x, (h, layer) => layer(h));
    }
}
