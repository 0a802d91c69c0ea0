using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku;

/// <summary>
/// The base of modules that map one tensor to one tensor (<c>Linear</c>, the convolutions, the
/// normalisations, pooling, …). A layer implements <see cref="Forward(Tensor)"/>; the public
/// <see cref="Call(Tensor)"/> runs it inside the module's <c>__call__</c> scope and names the input, so a
/// layer's parameters are always <c>{module path}/__call__/{name}</c> and summaries show its input shape.
/// One generic extension, <see cref="LayerModelExtensions.Call{TLayer}(Model{TLayer}, Tensor)"/>, creates
/// and calls any layer in one step.
/// </summary>
/// <remarks>
/// A layer whose call takes more than the input (a flag, a state, a mask) adds its own <c>Call</c>
/// overload that wraps its body in <see cref="Module.Method{T}(Model{T}, Tensor, string)"/>. F# cannot derive
/// from an abstract record: F# modules derive from <c>MiniHaiku.FSharp.Module</c> and call <c>this.Method</c>.
/// A layer of your own, with its parameter at <c>{path}/__call__/scale</c>:
/// <code>
/// public sealed record Scale(ModuleName Name) : Layer(Name)
/// {
///     public static Model&lt;Scale&gt; Create(string? name = null) =&gt; Hk.Module(n =&gt; new Scale(n), name);
///     protected override Model&lt;Tensor&gt; Forward(Tensor x) =&gt;
///         from s in Hk.GetParam("scale", [], Initializers.Ones(), x.dtype) select x * s;
/// }
/// </code>
/// </remarks>
/// <example>
/// <code>
/// Model&lt;Linear&gt; create = Linear.Create(10);
/// return from layer in create
///        from y in layer.Call(x)        // Layer.Call: runs Forward inside ~/Linear_0/__call__
///        select y;
/// </code>
/// </example>
public abstract record Layer : Module
{
    /// <summary>Gives the layer its unique name.</summary>
    /// <param name="name">The unique name given by <see cref="Hk.Module{M}(Func{ModuleName, M}, string?)"/>.</param>
    protected Layer(ModuleName name) : base(name)
    {
    }

    /// <summary>Applies the layer to <paramref name="x"/> inside its <c>__call__</c> scope.</summary>
    /// <param name="x">The input.</param>
    /// <returns>A model producing the layer's output.</returns>
    public Model<Tensor> Call(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return Method(Forward(x), x, nameof(Call));
    }

    /// <summary>
    /// The layer's computation on <paramref name="x"/>. <see cref="Call(Tensor)"/> runs it inside the module's
    /// <c>__call__</c> scope, so it creates parameters with <c>Hk.GetParam</c>
    /// (or sub-modules) and never calls <c>Method</c> itself.
    /// </summary>
    /// <param name="x">The input (not null).</param>
    /// <returns>A model producing the output.</returns>
    protected abstract Model<Tensor> Forward(Tensor x);
}

/// <summary>The one-step form of every <see cref="Layer"/>: create it and call it in one query line.</summary>
public static class LayerModelExtensions
{
    /// <summary>Creates the layer and calls it: <c>from y in Linear.Create(10).Call(x) select y</c>.</summary>
    /// <typeparam name="TLayer">The layer type.</typeparam>
    /// <param name="layer">The model creating the layer.</param>
    /// <param name="x">The input.</param>
    /// <returns>A model producing the layer's output.</returns>
    public static Model<Tensor> Call<TLayer>(this Model<TLayer> layer, Tensor x) where TLayer : Layer
    {
        ArgumentNullException.ThrowIfNull(layer);
        return ModelOps.Bind(layer, x, static (l, input) => l.Call(input)); // no closure per call
    }
}
