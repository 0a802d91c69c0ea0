using MiniHaiku.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku;

public static partial class Hk
{
    /// <summary>
    /// Haiku's <c>hk.one_hot</c>: integer indices <c>[...]</c> to <c>[..., numClasses]</c> with a 1 at each index
    /// (the same as <see cref="Activations.OneHot"/>).
    /// </summary>
    /// <example><code>Tensor targets = Hk.OneHot(labels, numClasses: 10);   // [batch] int64 → [batch, 10] float32</code></example>
    /// <param name="indices">Integer indices in [0, <paramref name="numClasses"/>).</param>
    /// <param name="numClasses">The number of classes.</param>
    /// <param name="dtype">The result's element type; default <see cref="ScalarType.Float32"/>, as in Haiku.</param>
    /// <returns>The one-hot tensor.</returns>
    /// <exception cref="LayerInputException">The indices are not integers or are out of range.</exception>
    public static Tensor OneHot(Tensor indices, long numClasses, ScalarType dtype = ScalarType.Float32) =>
        Activations.OneHot(indices, numClasses, dtype);
}
