using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

public static partial class Losses
{
    private static void RequireFloating(Tensor t, string what, string function)
    {
        ArgumentNullException.ThrowIfNull(t, what);
        if (!t.is_floating_point())
            throw new LayerInputException(function, $"{what} must be floating point, got dtype {t.dtype}.");
    }

    private static void RequireSameShape(Tensor a, string aName, Tensor b, string bName, string function)
    {
        if (!ShapeText.SameShape(a.shape, b.shape))
            throw new LayerInputException(function, $"{aName} {ShapeText.Format(a.shape)} and {bName} {ShapeText.Format(b.shape)} must have the same shape.");
    }

    private static void RequireSameDType(Tensor a, string aName, Tensor b, string bName, string function)
    {
        if (a.dtype != b.dtype)
            throw new LayerInputException(function, $"{aName} ({a.dtype}) and {bName} ({b.dtype}) must have the same dtype.");
    }

    /// <summary>predictions − targets (or predictions alone), checked.</summary>
    private static Tensor Errors(Tensor predictions, Tensor? targets, string function)
    {
        RequireFloating(predictions, "predictions", function);
        if (targets is null) return predictions.alias();
        RequireSameShape(predictions, "predictions", targets, "targets", function);
        RequireSameDType(predictions, "predictions", targets, "targets", function);
        return Internal.SafeOps.Minus(predictions, targets);
    }
}
