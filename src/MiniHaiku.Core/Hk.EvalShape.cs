using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku;

/// <summary>What <see cref="Hk.EvalShape{TIn, TOut}(Transformed{TIn, TOut}, TIn)"/> finds: parameter shapes and dtypes, and the output on the meta device.</summary>
/// <typeparam name="TOut">The output type.</typeparam>
/// <param name="Params">Every parameter, as a tensor on the meta device (shape and dtype, no memory).</param>
/// <param name="Output">The output, computed on the meta device (read its <c>shape</c> and <c>dtype</c>).</param>
/// <param name="State">The initial state, on the meta device (empty for a plain <c>Transform</c>).</param>
public sealed record ShapeResult<TOut>(Params Params, TOut Output, Params State)
{
    /// <summary>The parameter shapes, as <c>Init(…).Shapes()</c> would give.</summary>
    public ShapeMap Shapes => Params.Shapes();
}

public static partial class Hk
{
    /// <summary>
    /// The shapes <c>Init</c> would give and the output shape, without allocating or initialising anything
    /// (Haiku's <c>eval_shape</c>): the model runs on PyTorch's meta device. <paramref name="input"/> should be
    /// on the meta device too (<c>torch.empty(shape, device: torch.META)</c>, or use the overload taking a shape).
    /// Models that read tensor values (<c>.item()</c>, data-dependent control flow) cannot run on meta.
    /// </summary>
    /// <example><code>var shapes = Hk.EvalShape(net, x).Shapes;   // parameter shapes on the meta device: no memory, no compute</code></example>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The output type.</typeparam>
    /// <param name="transformed">The transformed model.</param>
    /// <param name="input">An input on the meta device.</param>
    /// <returns>The parameters and output, as meta tensors.</returns>
    public static ShapeResult<TOut> EvalShape<TIn, TOut>(Transformed<TIn, TOut> transformed, TIn input)
    {
        ArgumentNullException.ThrowIfNull(transformed);
        return EvalShapeCore(transformed.Function, input, withState: false);
    }

    /// <summary>Like <see cref="EvalShape{TIn, TOut}(Transformed{TIn, TOut}, TIn)"/> for a stateful model: also gives the initial state's shapes.</summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The output type.</typeparam>
    /// <param name="transformed">The stateful transformed model.</param>
    /// <param name="input">An input on the meta device.</param>
    /// <returns>The parameters, initial state and output, as meta tensors.</returns>
    public static ShapeResult<TOut> EvalShape<TIn, TOut>(TransformedWithState<TIn, TOut> transformed, TIn input)
    {
        ArgumentNullException.ThrowIfNull(transformed);
        return EvalShapeCore(transformed.Function, input, withState: true);
    }

    private static ShapeResult<TOut> EvalShapeCore<TIn, TOut>(Func<TIn, Model<TOut>> function, TIn input, bool withState)
    {
        var model = Scoping.WithExtras(x => x with { Meta = true }, (now, old) => now with { Meta = old.Meta }, function(input));
        try
        {
            var (output, frame) = model.Run(Frame.ForInit(0, withState));
            return new(frame.Params, output, frame.InitialState);
        }
        catch (System.Runtime.InteropServices.ExternalException e)
        {
            var first = FirstLine(e.Message);
            throw new ModelUsageException(
                $"Hk.EvalShape could not run the model on the meta device: {first} " +
                "Some operators have no meta implementation in this libtorch (e.g. relu: use Init on a batch of one instead), and models that read tensor values cannot run without data.");
        }
    }

    /// <summary>Like <see cref="EvalShape{TIn, TOut}(Transformed{TIn, TOut}, TIn)"/> for a tensor input given by its shape and dtype.</summary>
    /// <example><code>
    /// var result = Hk.EvalShape(net, [32, 784]);
    /// Console.WriteLine(result.Shapes);   // e.g. {'~/Linear_0/__call__/b': (10,), '~/Linear_0/__call__/w': (784, 10)}
    /// </code></example>
    /// <typeparam name="TOut">The output type.</typeparam>
    /// <param name="transformed">The transformed model.</param>
    /// <param name="inputShape">The input's shape.</param>
    /// <param name="dtype">The input's dtype; default Float32.</param>
    /// <returns>The parameters and output, as meta tensors.</returns>
    public static ShapeResult<TOut> EvalShape<TOut>(Transformed<Tensor, TOut> transformed, long[] inputShape, ScalarType dtype = ScalarType.Float32)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        return EvalShape(transformed, torch.empty(inputShape, dtype, device: torch.META));
    }
}
