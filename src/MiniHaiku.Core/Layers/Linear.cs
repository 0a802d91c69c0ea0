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
        return Hk.Module((outputSize, withBias, wInit, bInit),
            static (n, a) => new Linear(n, a.outputSize, a.withBias, a.wInit, a.bInit), name); // no closure per call
    }

    /// <summary>Applies the layer to the last axis of <paramref name="x"/>.</summary>
    /// <param name="x">An input of shape <c>[..., in]</c> (at least one axis).</param>
    /// <returns>A model producing <c>[..., out]</c>.</returns>
    /// <exception cref="LayerInputException"><paramref name="x"/> is a scalar.</exception>
    protected override Model<Tensor> Forward(Tensor x)
    {
        // Plain native reads only (alive is managed; dtype, rank and last size are one P/Invoke each): x.shape would
        // marshal the whole shape through a callback (≈ 0.5 µs and an array), a large part of a tiny model's Apply.
        TensorChecks.RequireAlive(x, $"the input of '{Name.Path}' ({nameof(Linear)})");
        var dtype = x.dtype;
        LayerChecks.RequireFloating(Name.Path, nameof(Linear), dtype);
        var rank = x.dim();
        if (rank == 0) throw new LayerInputException(Name.Path, "Linear needs an input with at least one axis, got a scalar.");
        var inSize = x.size(-1);
        return ModelOps.Lift(new Product(this, x, dtype, rank, inSize));
    }

    /// <summary>
    /// Reads (or creates) <c>w</c> and <c>b</c> and computes the product, as one model step: in the common case (no custom
    /// getter or creator, not under <c>Hk.EvalShape</c>) both parameters are looked up directly, without a model per
    /// parameter and the closures binding them — a tiny model's Apply is dominated by such per-call costs. Otherwise it
    /// runs <see cref="Composed"/>, the same computation written with <c>Hk.GetParam</c>, so the interceptors see both.
    /// The default initializer of <c>w</c> is made only when it can be used (during <c>Init</c>).
    /// </summary>
    private sealed class Product(Linear layer, Tensor x, ScalarType dtype, long rank, long inSize) : Primitive<Tensor>
    {
        public override (Tensor Value, Frame Frame) Run(Frame frame)
        {
            if (!Hk.PlainParamAccess(frame)) return layer.Composed(x, dtype, rank, inSize).Run(frame);
            var wInit = frame.IsInitializing ? layer.WInitFor(inSize) : layer.WInit;
            ReadOnlySpan<long> wShape = [inSize, layer.OutputSize]; // on the stack: no array per call
            var (w, afterW) = Hk.GetParamStep(frame, "w", wShape, wInit, dtype);
            if (!layer.WithBias) return (x.matmul(w), afterW);
            ReadOnlySpan<long> bShape = [layer.OutputSize];
            var (b, afterB) = Hk.GetParamStep(afterW, "b", bShape, layer.BInit ?? Initializers.Zeros(), dtype);
            return (Affine(x, rank, inSize, w, b, layer.OutputSize), afterB);
        }
    }

    /// <summary>The initializer of <c>w</c>: the given one, else a truncated normal with stddev 1/√in.</summary>
    private Initializer WInitFor(long inSize) => WInit ?? Initializers.TruncatedNormal(1.0 / Math.Sqrt(inSize));

    /// <summary>The layer's computation through <c>Hk.GetParam</c> (what <see cref="Product"/> does under interceptors).</summary>
    private Model<Tensor> Composed(Tensor x, ScalarType dtype, long rank, long inSize)
    {
        var w = Hk.GetParam("w", [inSize, OutputSize], WInitFor(inSize), dtype);
        if (!WithBias) return w.Select(x.matmul);
        return
            from wv in w
            from b in Hk.GetParam("b", [OutputSize], BInit ?? Initializers.Zeros(), dtype)
            select Affine(x, rank, inSize, wv, b, OutputSize);
    }

    /// <summary>
    /// <c>x·w + b</c> as one <c>addmm</c> (the bias added by the matrix product's kernel, as <c>nn.Linear</c> does) on
    /// <c>x</c> seen as <c>[rows, in]</c>; a vector or zero-width input keeps <c>matmul</c> and an in-place add.
    /// </summary>
    private static Tensor Affine(Tensor x, long rank, long inSize, Tensor w, Tensor b, long outputSize)
    {
        if (rank == 1 || inSize == 0) return x.matmul(w).PlusInPlace(b); // reshape(-1, 0) would be ambiguous
        if (rank == 2) return torch.addmm(b, x, w, beta: 1, alpha: 1); // beta and alpha cross as floats: no Scalar
        var shape = x.shape;
        // The flattened input and the 2-D product are dropped handles (the result views the product's storage): disposed
        // here rather than left to the finalizer, whose frees on another thread slow the caller's next native calls.
        using var rows = x.reshape(-1, inSize);
        using var y = torch.addmm(b, rows, w, beta: 1, alpha: 1);
        return y.view([.. shape[..^1], outputSize]);
    }
}
