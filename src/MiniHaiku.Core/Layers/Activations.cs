using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// The activation functions used with the layers (JAX's <c>jax.nn</c> names in PascalCase). Each is a
/// plain <c>Tensor → Tensor</c> function, so it can be passed where a <see cref="Func{Tensor, Tensor}"/> is
/// expected (e.g. <see cref="MLP.Create"/>).
/// </summary>
/// <example>
/// <code>
/// return Linear.Create(10).Call(x).Select(Activations.Gelu);
/// </code>
/// </example>
public static partial class Activations
{
    /// <summary>max(x, 0).</summary>
    /// <param name="x">The input.</param>
    /// <returns>The activation.</returns>
    public static Tensor Relu(Tensor x) => nn.functional.relu(Alive(x, nameof(Relu)));

    /// <summary>
    /// The Gaussian error linear unit with the tanh approximation, like <c>jax.nn.gelu</c>'s default:
    /// <c>0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))</c>.
    /// </summary>
    /// <param name="x">The input.</param>
    /// <returns>The activation.</returns>
    public static Tensor Gelu(Tensor x) => Gelu(x, approximate: true);

    /// <summary>The Gaussian error linear unit, approximate (tanh) or exact (erf, PyTorch's default).</summary>
    /// <param name="x">The input.</param>
    /// <param name="approximate">True for the tanh approximation, false for <c>x·Φ(x)</c> exactly.</param>
    /// <returns>The activation.</returns>
    public static Tensor Gelu(Tensor x, bool approximate) =>
        approximate ? GeluTanh(Floating(x, nameof(Gelu))) : nn.functional.gelu(Floating(x, nameof(Gelu)), TorchSharp.Modules.GELU.Approximate.none);

    /// <summary>x·sigmoid(x) (also called swish).</summary>
    /// <param name="x">The input.</param>
    /// <returns>The activation.</returns>
    public static Tensor Silu(Tensor x) => nn.functional.silu(Floating(x, nameof(Silu)));

    /// <summary>1 / (1 + exp(-x)).</summary>
    /// <param name="x">The input.</param>
    /// <returns>The activation.</returns>
    public static Tensor Sigmoid(Tensor x) => torch.sigmoid(Alive(x, nameof(Sigmoid)));

    /// <summary>The hyperbolic tangent.</summary>
    /// <param name="x">The input.</param>
    /// <returns>The activation.</returns>
    public static Tensor Tanh(Tensor x) => torch.tanh(Alive(x, nameof(Tanh)));

    /// <summary>exp(x) / Σ exp(x) along the last axis.</summary>
    /// <param name="x">The input.</param>
    /// <returns>Probabilities summing to one along the last axis.</returns>
    public static Tensor Softmax(Tensor x) => Floating(x, nameof(Softmax)).softmax(-1);

    /// <summary>exp(x) / Σ exp(x) along <paramref name="dim"/>.</summary>
    /// <param name="x">The input.</param>
    /// <param name="dim">The axis to normalise over.</param>
    /// <returns>Probabilities summing to one along <paramref name="dim"/>.</returns>
    public static Tensor Softmax(Tensor x, long dim) => Floating(x, nameof(Softmax)).softmax(dim);

    /// <summary>x − logΣexp(x) along the last axis, computed stably.</summary>
    /// <param name="x">The input.</param>
    /// <returns>Log-probabilities.</returns>
    public static Tensor LogSoftmax(Tensor x) => Floating(x, nameof(LogSoftmax)).log_softmax(-1);

    /// <summary>x − logΣexp(x) along <paramref name="dim"/>, computed stably.</summary>
    /// <param name="x">The input.</param>
    /// <param name="dim">The axis.</param>
    /// <returns>Log-probabilities.</returns>
    public static Tensor LogSoftmax(Tensor x, long dim) => Floating(x, nameof(LogSoftmax)).log_softmax(dim);

    /// <summary>
    /// One-hot encodes integer labels: the result has one more (last) axis of size
    /// <paramref name="numClasses"/>, with 1 at each label.
    /// </summary>
    /// <param name="labels">Integer labels in [0, <paramref name="numClasses"/>).</param>
    /// <param name="numClasses">The number of classes.</param>
    /// <param name="dtype">The result's element type; default <see cref="ScalarType.Float32"/>.</param>
    /// <returns>The one-hot tensor.</returns>
    /// <exception cref="LayerInputException">The labels are not integers or are out of range.</exception>
    public static Tensor OneHot(Tensor labels, long numClasses, ScalarType dtype = ScalarType.Float32)
    {
        ArgumentNullException.ThrowIfNull(labels);
        TensorChecks.RequireAlive(labels, "the labels of OneHot");
        CheckLabels(labels, numClasses, nameof(OneHot));
        using var asLong = labels.to_type(ScalarType.Int64);
        using var hot = nn.functional.one_hot(asLong, numClasses);
        return hot.to_type(dtype);
    }

    private static Tensor Alive(Tensor x, string function)
    {
        ArgumentNullException.ThrowIfNull(x);
        TensorChecks.RequireAlive(x, $"the input of {function}");
        return x;
    }

    internal static Tensor Floating(Tensor x, string function, string what = "input")
    {
        ArgumentNullException.ThrowIfNull(x);
        TensorChecks.RequireAlive(x, $"the {what} of {function}");
        if (!x.is_floating_point())
            throw new LayerInputException(function,
                $"needs {(what.EndsWith('s') ? "" : "a ")}floating-point {what}, got dtype {x.dtype}. Convert it first, e.g. x.to_type(ScalarType.Float32).");
        return x;
    }

    internal static void CheckLabels(Tensor labels, long numClasses, string function)
    {
        if (numClasses < 1)
            throw new LayerInputException(function, $"needs at least one class, got numClasses = {numClasses}.");
        if (labels.is_floating_point() || labels.dtype == ScalarType.Bool || labels.is_complex())
            throw new LayerInputException(function, $"needs integer labels, got dtype {labels.dtype}. Convert class indices with .to_type(ScalarType.Int64).");
        if (labels.numel() == 0) return;
        // One kernel for both bounds (aminmax), then the two numbers read back.
        var (minTensor, maxTensor) = torch.aminmax(labels);
        long min, max;
        using (minTensor)
        using (maxTensor)
        {
            min = AsInt64(minTensor);
            max = AsInt64(maxTensor);
        }
        if (min < 0 || max >= numClasses)
            throw new LayerInputException(function, $"labels must lie in [0, {numClasses}), got values from {min} to {max}.");
    }

    // item<long>() only reads Int64 tensors (an Int32 label tensor made it throw ArgumentException).
    private static long AsInt64(Tensor integer)
    {
        if (integer.dtype == ScalarType.Int64) return integer.item<long>();
        using var wide = integer.to_type(ScalarType.Int64);
        return wide.item<long>();
    }
}
