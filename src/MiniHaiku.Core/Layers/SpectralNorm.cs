using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// Divides a weight by its largest singular value, estimated by power iteration (Haiku's
/// <c>hk.SpectralNorm</c>, Miyato et al. 2018); needs <see cref="Hk.TransformWithState{TIn, TOut}"/>.
/// </summary>
/// <remarks>
/// <para>A weight of rank &gt; 2 is reshaped to <c>[−1, last axis]</c>. State at <c>{path}/__call__/</c>:
/// <c>u0</c> <c>[1, last axis]</c> (standard normal at <c>Init</c>) and <c>sigma</c> (a scalar, written by the
/// first update). Each call runs <c>nSteps</c> of <c>v ← normalize(u·Wᵀ)</c>, <c>u ← normalize(v·W)</c> with
/// <c>normalize(x) = x / √(Σx² + eps)</c>, stops the gradient through u and v, and returns <c>W / (v·W·uᵀ)</c>.</para>
/// </remarks>
/// <param name="Name">The module's name.</param>
/// <param name="Eps">Added under the square root when normalising.</param>
/// <param name="NSteps">Power-iteration steps per call.</param>
/// <example>
/// <code>
/// // x [N, F] times a weight whose largest singular value is about 1 (state u0, sigma).
/// return from w in Hk.GetParam("w", [x.shape[^1], 8])
///        from sn in SpectralNorm.Create()
///        from wBar in sn.Call(w)
///        select x.matmul(wBar);
/// </code>
/// </example>
public sealed record SpectralNorm(ModuleName Name, double Eps, int NSteps) : Module(Name)
{
    /// <summary>Creates a spectral normalisation.</summary>
    /// <param name="eps">Added under the square root when normalising (positive; Haiku's 1e-4).</param>
    /// <param name="nSteps">Power-iteration steps per call (positive).</param>
    /// <param name="name">An explicit module name, or null for <c>SpectralNorm_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="LayerConfigurationException">A non-positive eps or step count.</exception>
    public static Model<SpectralNorm> Create(double eps = 1e-4, int nSteps = 1, string? name = null)
    {
        Validate(nameof(SpectralNorm), eps, nSteps);
        return Hk.Module(n => new SpectralNorm(n, eps, nSteps), name);
    }

    internal static void Validate(string layer, double eps, int nSteps)
    {
        if (!(eps > 0)) throw new LayerConfigurationException(layer, $"eps must be positive, got {eps}.");
        if (nSteps < 1) throw new LayerConfigurationException(layer, $"nSteps must be positive, got {nSteps}.");
    }

    /// <summary>Normalises <paramref name="value"/> by its estimated spectral norm.</summary>
    /// <param name="value">A matrix (or a higher-rank weight, reshaped to <c>[−1, last axis]</c>).</param>
    /// <param name="updateStats">Whether to write the new <c>u0</c> and <c>sigma</c> to the state.</param>
    /// <param name="errorOnNonMatrix">Whether a rank above 2 is an error instead of being reshaped.</param>
    /// <returns>A model producing <c>value / sigma</c>, same shape.</returns>
    /// <exception cref="LayerInputException">A scalar or vector, a rank above 2 with <paramref name="errorOnNonMatrix"/>, a
    /// non-floating value, or a state of another dtype.</exception>
    public Model<Tensor> Call(Tensor value, bool updateStats = true, bool errorOnNonMatrix = false)
    {
        ArgumentNullException.ThrowIfNull(value);
        long[] shape = value.shape;
        if (shape.Length <= 1)
            throw new LayerInputException(Name.Path, $"Spectral normalization is not well defined for scalar or vector inputs, got shape {ShapeText.Format(shape)}.");
        if (shape.Length > 2 && errorOnNonMatrix)
            throw new LayerInputException(Name.Path, $"Input is {shape.Length}D (shape {ShapeText.Format(shape)}) but errorOnNonMatrix is true.");
        if (!value.is_floating_point())
            throw new LayerInputException(Name.Path, $"SpectralNorm needs a floating-point value, got {value.dtype}.");
        var matrix = shape.Length > 2 ? value.reshape(-1, shape[^1]) : value;
        return Method(
            from u0 in Hk.GetState("u0", [1, shape[^1]], Initializers.RandomNormal(), value.dtype)
            let r = Normalize(matrix, u0)
            from written in updateStats
                ? from u in Hk.SetState("u0", r.U)
                  from s in Hk.SetState("sigma", r.Sigma)
                  select s
                : Hk.Pure(r.Sigma)
            select r.Normalized.reshape(shape), value);
    }

    /// <summary>The latest estimate of the spectral norm (Haiku's <c>sigma</c> property; 1 before any update).</summary>
    /// <returns>A model producing the scalar.</returns>
    public Model<Tensor> Sigma() => Method(Hk.GetState("sigma", [], Initializers.Ones()), "Call");

    private (Tensor Normalized, Tensor U, Tensor Sigma) Normalize(Tensor w, Tensor u0)
    {
        if (u0.dtype != w.dtype)
            throw new LayerInputException(Name.Path, $"SpectralNorm's state 'u0' is {u0.dtype} but the value is {w.dtype}; re-run Init with the value's dtype.");
        var u = u0.detach();
        var v = u;
        using (torch.no_grad())
        {
            var wt = w.detach();
            for (var i = 0; i < NSteps; i++)
            {
                v = L2Normalize(u.matmul(wt.t()));
                u = L2Normalize(v.matmul(wt));
            }
        }
        var sigma = v.matmul(w).matmul(u.t())[0, 0];
        return (w.div(sigma), u, sigma);
    }

    private Tensor L2Normalize(Tensor x) => x.mul(torch.rsqrt(x.mul(x).sum([-1], keepdim: true).Plus(Eps)));
}
