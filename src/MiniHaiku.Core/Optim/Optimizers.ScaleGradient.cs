using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// The identity on the forward pass whose gradient is multiplied by <paramref name="scale"/> on the
    /// backward pass (<c>optax.scale_gradient</c>): <c>x.detach() + scale·(x − x.detach())</c>. Use inside a
    /// loss, e.g. to slow down the learning of one branch; <paramref name="scale"/> 0 stops the gradient.
    /// </summary>
    /// <example><code>
    /// from h in f(x)
    /// select Optimizers.ScaleGradient(h, 0.1)   // the forward value is h; the gradient flowing back is × 0.1
    /// </code></example>
    /// <param name="inputs">The tensor whose gradient to scale.</param>
    /// <param name="scale">The gradient factor.</param>
    /// <returns>A tensor equal to <paramref name="inputs"/>.</returns>
    public static Tensor ScaleGradient(Tensor inputs, double scale)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        using var scope = torch.NewDisposeScope();
        var stopped = inputs.detach();
        return stopped.Plus(inputs.Minus(stopped).Times(scale)).MoveToOuterDisposeScope();
    }
}
