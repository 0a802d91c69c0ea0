using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// A gated recurrent unit core (Haiku's <c>hk.GRU</c>). Parameters <c>w_i</c> <c>[in, 3·hidden]</c>,
/// <c>w_h</c> <c>[hidden, 3·hidden]</c> (default <see cref="Initializers.VarianceScaling"/>) and <c>b</c>
/// <c>[3·hidden]</c> (zeros), in gate order (z, r, a):
/// <c>z, r = σ(x·w_i + h·w_h + b)</c>, <c>a = tanh(x·w_i_a + r·(h·w_h_a) + b_a)</c>,
/// <c>h' = (1 − z)·h + z·a</c>. The output is <c>h'</c>.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="HiddenSize">The state width.</param>
/// <param name="WIInit">The initializer of <c>w_i</c>; null for the default.</param>
/// <param name="WHInit">The initializer of <c>w_h</c>; null for the default.</param>
/// <param name="BInit">The initializer of <c>b</c>; null for zeros.</param>
/// <example>
/// <code>
/// return from core in GRU.Create(32)
///        from step in core.Call(x, core.InitialState(x.shape[0], x.dtype))
///        select step.Output;   // [N, 32]
/// </code>
/// </example>
public sealed record GRU(ModuleName Name, int HiddenSize, Initializer? WIInit, Initializer? WHInit, Initializer? BInit) : Module(Name), IRecurrentCore<Tensor>
{
    /// <summary>Creates a GRU core.</summary>
    /// <param name="hiddenSize">The state width (positive).</param>
    /// <param name="wIInit">The initializer of <c>w_i</c>.</param>
    /// <param name="wHInit">The initializer of <c>w_h</c>.</param>
    /// <param name="bInit">The initializer of <c>b</c>.</param>
    /// <param name="name">An explicit module name, or null for <c>GRU_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<GRU> Create(int hiddenSize, Initializer? wIInit = null, Initializer? wHInit = null, Initializer? bInit = null, string? name = null)
    {
        if (hiddenSize < 1) throw new LayerConfigurationException(nameof(GRU), $"hiddenSize must be positive, got {hiddenSize}.");
        return Hk.Module(n => new GRU(n, hiddenSize, wIInit, wHInit, bInit), name);
    }

    /// <inheritdoc />
    public Model<CoreOutput<Tensor>> Call(Tensor x, Tensor state)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(state);
        RecurrentChecks.RequireState(Name.Path, nameof(GRU), x, state, HiddenSize);
        var h = HiddenSize;
        var dtype = x.dtype;
        return Method(
            from wI in Hk.GetParam("w_i", [x.shape[^1], 3 * h], WIInit ?? Initializers.VarianceScaling(), dtype)
            from wH in Hk.GetParam("w_h", [h, 3 * h], WHInit ?? Initializers.VarianceScaling(), dtype)
            from b in Hk.GetParam("b", [3 * h], BInit ?? Initializers.Zeros(), dtype)
            let gx = x.matmul(wI)
            let gh = state.matmul(wH)
            let zr = torch.sigmoid(gx.narrow(-1, 0, 2 * h).Plus(gh.narrow(-1, 0, 2 * h)).PlusInPlace(b.narrow(0, 0, 2 * h)))
            let z = zr.narrow(-1, 0, h)
            let r = zr.narrow(-1, h, h)
            let a = torch.tanh(gx.narrow(-1, 2 * h, h).Plus(r * gh.narrow(-1, 2 * h, h)).PlusInPlace(b.narrow(0, 2 * h, h)))
            let next = (z.SubtractedFrom(1.0) * state).PlusInPlace(z * a)
            select new CoreOutput<Tensor>(next, next), x);
    }

    /// <inheritdoc />
    public Tensor InitialState(long? batchSize, ScalarType dtype = ScalarType.Float32) =>
        batchSize is { } n ? torch.zeros(n, HiddenSize, dtype: dtype) : torch.zeros(HiddenSize, dtype: dtype);
}
