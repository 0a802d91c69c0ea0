using System.Runtime.CompilerServices;
using static TorchSharp.torch;

namespace MiniHaiku;

/// <summary>Checks made where tensors enter the library, before TorchSharp could fail on them opaquely.</summary>
internal static class TensorChecks
{
    /// <summary>Throws <see cref="DisposedTensorException"/> when <paramref name="t"/> was disposed.</summary>
    /// <param name="t">The tensor.</param>
    /// <param name="what">Which tensor, for the message (e.g. <c>parameter '~/w'</c>).</param>
    public static void RequireAlive(Tensor t, string what)
    {
        if (t.IsInvalid) throw new DisposedTensorException(what);
    }

    /// <summary>
    /// Checks every tensor directly in a model input (a tensor, or a tuple of tensors and other values)
    /// for disposal. Other input types are left to the model.
    /// </summary>
    /// <param name="input">The input given to Init or Apply.</param>
    /// <param name="where">The entry point, e.g. <c>Apply</c>.</param>
    public static void RequireAliveInput(object? input, string where)
    {
        switch (input)
        {
            case Tensor t:
                RequireAlive(t, $"the input of {where}");
                break;
            case ITuple tuple:
                for (var i = 0; i < tuple.Length; i++)
                    if (tuple[i] is Tensor item) RequireAlive(item, $"item {i + 1} of the input of {where}");
                break;
        }
    }
}
