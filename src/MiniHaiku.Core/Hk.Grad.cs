using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku;

public static partial class Hk
{
    /// <summary>
    /// Inside a transform, the value of <paramref name="f"/> and its gradient with respect to its tensor
    /// input (Haiku's <c>hk.value_and_grad</c>), e.g. for a gradient penalty. <paramref name="f"/> may use
    /// parameters, state and keys as usual. The gradient stays differentiable with respect to the parameters
    /// (it is computed with <c>create_graph</c>), so a loss built from it trains them.
    /// </summary>
    /// <param name="f">A function whose value is a floating-point scalar.</param>
    /// <returns>A function from input to (value, gradient of the value with respect to the input).</returns>
    /// <exception cref="GradientException">The value is not a floating-point scalar, or the input is not floating point.</exception>
    /// <example><code>
    /// from vg in Hk.ValueAndGrad(x =&gt; f(x).Select(y =&gt; y.sum()))(x)
    /// select vg.Grad.square().sum()   // a gradient penalty
    /// </code></example>
    public static Func<Tensor, Model<(Tensor Value, Tensor Grad)>> ValueAndGrad(Func<Tensor, Model<Tensor>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return input =>
        {
            ArgumentNullException.ThrowIfNull(input);
            return ModelOps.Lift(frame =>
            {
                if (!input.is_floating_point())
                    throw new GradientException($"Hk.ValueAndGrad differentiates with respect to the input, which must be floating point but has dtype {input.dtype}.");
                using var grad = torch.enable_grad();
                var leaf = input.requires_grad ? input : input.detach().requires_grad_(true);
                var (value, after) = f(leaf).Run(frame);
                if (value is null) throw new GradientException("The function given to Hk.ValueAndGrad returned null instead of a scalar tensor.");
                if (value.numel() != 1)
                    throw new GradientException($"The function given to Hk.ValueAndGrad must return a scalar (one element) but returned shape {ShapeText.Format(value.shape)}. Reduce it, e.g. with .sum().");
                if (!value.is_floating_point())
                    throw new GradientException($"The function given to Hk.ValueAndGrad must return a floating-point value but returned dtype {value.dtype}.");
                Tensor g;
                if (!value.requires_grad) g = torch.zeros_like(leaf);
                else
                {
                    var raw = torch.autograd.grad([value], [leaf], retain_graph: true, create_graph: true, allow_unused: true)[0];
                    g = raw is null || raw.IsInvalid ? torch.zeros_like(leaf) : raw;
                }
                return ((value, g), after);
            });
        };
    }

    /// <summary>Like <see cref="ValueAndGrad"/>, producing only the gradient (Haiku's <c>hk.grad</c>).</summary>
    /// <example><code>
    /// from g in Hk.Gradient(x => f(x).Select(o => o.sum()))(x)   // d sum(f(x)) / dx inside a model
    /// select g.square().sum()
    /// </code></example>
    /// <param name="f">A function whose value is a floating-point scalar.</param>
    /// <returns>A function from input to the gradient of <paramref name="f"/> with respect to it.</returns>
    public static Func<Tensor, Model<Tensor>> Gradient(Func<Tensor, Model<Tensor>> f)
    {
        var vg = ValueAndGrad(f);
        return x => vg(x).Select(r => r.Grad);
    }
}
