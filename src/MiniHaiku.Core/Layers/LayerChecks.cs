using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>Input checks shared by the layers, made before any TorchSharp call that would fail opaquely or abort.</summary>
internal static class LayerChecks
{
    /// <summary>The input is alive and floating point (the layer's parameters are).</summary>
    public static void RequireFloatingInput(string path, string layer, Tensor x, string what = "input")
    {
        TensorChecks.RequireAlive(x, $"the {what} of '{path}' ({layer})");
        RequireFloating(path, layer, x.dtype, what);
    }

    /// <summary>
    /// The dtype half of <see cref="RequireFloatingInput(string, string, Tensor, string)"/>, for a caller that has checked
    /// the input is alive and read its dtype already (one native call fewer per layer call: a tiny model's Apply is
    /// dominated by such calls).
    /// </summary>
    public static void RequireFloating(string path, string layer, ScalarType dtype, string what = "input")
    {
        if (!IsFloating(dtype))
            throw new LayerInputException(path,
                $"{layer} needs a floating-point {what} (its parameters are floating point), got dtype {dtype}. Convert it first, e.g. x.to_type(ScalarType.Float32).");
    }

    /// <summary>True for the floating-point dtypes (what <c>is_floating_point()</c> answers, without a native call).</summary>
    public static bool IsFloating(ScalarType dtype) => dtype is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64;

    /// <summary>A tensor meeting the input (a recurrent state, an attention key or value) has the input's dtype.</summary>
    public static void RequireSameDType(string path, string layer, string what, Tensor t, ScalarType expected, string fix)
    {
        TensorChecks.RequireAlive(t, $"the {what} of '{path}' ({layer})");
        var actual = t.dtype;
        if (actual != expected)
            throw new DTypeMismatchException(path, expected, actual,
                $"'{path}': {layer}'s {what} has dtype {actual} but its input has {expected}; both must have the same dtype. {fix}");
    }

    /// <summary>Whether two shapes broadcast against each other (aligned at the right, each pair equal or one of them 1).</summary>
    public static bool Broadcastable(ReadOnlySpan<long> a, ReadOnlySpan<long> b)
    {
        for (int i = a.Length - 1, j = b.Length - 1; i >= 0 && j >= 0; i--, j--)
            if (a[i] != b[j] && a[i] != 1 && b[j] != 1) return false;
        return true;
    }
}
