using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// A dense layer <c>y = x·w + b</c> (Haiku's <c>hk.Linear</c>). Parameters: <c>w</c> of shape
/// <c>[in, out]</c> (default truncated normal with stddev <c>1/√in</c>) and, with a bias, <c>b</c> of
/// shape <c>[out]</c> (default zeros), both with the input's dtype, at
/// <c>{path}/__call__/w</c> and <c>{path}/__call__/b</c>.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="OutputSize">The number of output features.</param>
/// <param name="WithBias">Whether to add the bias <c>b</c>.</param>
/// <param name="WInit">The initializer of <c>w</c>; null for the default.</param>
/// <param name="BInit">The initializer of <c>b</c>; null for zeros.</param>
/// <example>
/// <code>
/// // [N, 16] → [N, 10]: w [16, 10] and b [10] at ~/Linear_0/__call__.
/// return from linear in Linear.Create(10)
///        from y in linear.Call(x)
///        select y;
/// </code>
/// </example>
public sealed record Linear(ModuleName Name, int OutputSize, bool WithBias, Initializer? WInit, Initializer? BInit) : Layer(Name)
{
    /// <summary>Creates a linear layer.</summary>
    /// <param name="outputSize">The number of output features (positive).</param>
    /// <param name="withBias">Whether to add a bias.</param>
    /// <param name="wInit">The initializer of <c>w</c>; default truncated normal with stddev 1/√in.</param>
    /// <param name="bInit">The initializer of <c>b</c>; default zeros.</param>
    /// <param name="name">An explicit module name, or null for <c>Linear_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="LayerConfigurationException"><paramref name="outputSize"/> is not positive.</exception>
    public static Model<Linear> Create(int outputSize, bool withBias = true, Initializer? wInit = null, Initializer? bInit = null, string? name = null)
    {
        if (outputSize < 1) throw new LayerConfigurationException(nameof(Linear), $"outputSize must be positive, got {outputSize}.");
        return Hk.Module(n => new Linear(n, outputSize, withBias, wInit, bInit), name);
    }

    /// <summary>Applies the layer to the last axis of <paramref name="x"/>.</summary>
    /// <param name="x">An input of shape <c>[..., in]</c> (at least one axis).</param>
    /// <returns>A model producing <c>[..., out]</c>.</returns>
    /// <exception cref="LayerInputException"><paramref name="x"/> is a scalar.</exception>
    protected override Model<Tensor> Forward(Tensor x)
    {
        // Three native calls besides the product (alive, dtype, shape): a tiny model's Apply is dominated by them.
        TensorChecks.RequireAlive(x, $"the input of '{Name.Path}' ({nameof(Linear)})");
        var dtype = x.dtype;
        LayerChecks.RequireFloating(Name.Path, nameof(Linear), dtype);
        var shape = x.shape;
        if (shape.Length == 0) throw new LayerInputException(Name.Path, "Linear needs an input with at least one axis, got a scalar.");
        var inSize = shape[^1];
        var w = Hk.GetParam("w", [inSize, OutputSize], WInit ?? Initializers.TruncatedNormal(1.0 / Math.Sqrt(inSize)), dtype);
        if (!WithBias) return w.Select(x.matmul);
        return
            from wv in w
            from b in Hk.GetParam("b", [OutputSize], BInit ?? Initializers.Zeros(), dtype)
            select Affine(x, shape, wv, b, OutputSize);
    }

    /// <summary>
    /// <c>x·w + b</c> as one <c>addmm</c> (the bias added by the matrix product's kernel, as <c>nn.Linear</c> does) on
    /// <c>x</c> seen as <c>[rows, in]</c>; a vector or zero-width input keeps <c>matmul</c> and an in-place add.
    /// </summary>
    private static Tensor Affine(Tensor x, long[] shape, Tensor w, Tensor b, long outputSize)
    {
        if (shape.Length == 1 || shape[^1] == 0) return x.matmul(w).PlusInPlace(b); // reshape(-1, 0) would be ambiguous
        if (shape.Length == 2) return torch.addmm(b, x, w, beta: 1, alpha: 1);
        var y = torch.addmm(b, x.reshape(-1, shape[^1]), w, beta: 1, alpha: 1);
        return y.view([.. shape[..^1], outputSize]);
    }
}
