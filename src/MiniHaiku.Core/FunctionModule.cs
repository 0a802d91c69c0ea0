namespace MiniHaiku;

/// <summary>
/// A module made from a function by <see cref="Hk.ToModule{TIn, TOut}"/> (Haiku's <c>hk.to_module</c>):
/// the way to define modules from F# or from a lambda, without declaring a record type.
/// </summary>
/// <typeparam name="TIn">The input type.</typeparam>
/// <typeparam name="TOut">The output type.</typeparam>
/// <param name="Name">The module's unique name.</param>
/// <param name="Body">The computation run by <see cref="Call"/> inside the module's scope.</param>
public sealed record FunctionModule<TIn, TOut>(ModuleName Name, Func<TIn, Model<TOut>> Body) : Module(Name)
{
    /// <summary>Runs the body in scope <c>{Name.Path}/__call__</c>. Call it again to reuse the parameters.</summary>
    /// <param name="input">The input.</param>
    /// <returns>The body's model, scoped.</returns>
    public Model<TOut> Call(TIn input) => Method(Body(input));
}

public static partial class Hk
{
    /// <summary>
    /// Creates a module from a function: its name is <paramref name="name"/> or
    /// <c>{typeName}_{n}</c>, and each <see cref="FunctionModule{TIn, TOut}.Call"/> runs
    /// <paramref name="body"/> in <c>{module path}/__call__</c>. From F#:
    /// <c>let linear w = Hk.ToModule("Linear", fun (x: Tensor) -> model { … })</c>.
    /// </summary>
    /// <example><code>
    /// from scale in Hk.ToModule("Scale", (Tensor x) =>
    ///     from g in Hk.GetParam("g", [x.shape[^1]], Initializers.Ones())
    ///     select x * g)                          // a module without a record type: ~/Scale_0
    /// from h in scale.Call(x)
    /// select h
    /// </code></example>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The output type.</typeparam>
    /// <param name="typeName">The name modules of this kind are counted under, e.g. <c>Linear</c>.</param>
    /// <param name="body">The module's computation.</param>
    /// <param name="name">An explicit instance name, or null.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<FunctionModule<TIn, TOut>> ToModule<TIn, TOut>(string typeName, Func<TIn, Model<TOut>> body, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(typeName);
        ArgumentNullException.ThrowIfNull(body);
        if (!Naming.IsValidModuleName(typeName))
            throw new ModuleNameException($"Invalid module type name '{typeName}': it must match ^[A-Za-z_][A-Za-z0-9_]*$.", typeName, "");
        return ModelOps.Lift(frame =>
        {
            var (moduleName, next) = Naming.ReserveName(frame, typeName, name);
            return (new FunctionModule<TIn, TOut>(moduleName, body), next);
        });
    }
}
