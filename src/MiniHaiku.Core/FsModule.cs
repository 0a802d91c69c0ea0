namespace MiniHaiku;

/// <summary>
/// The base for module classes written in F# (or any language that cannot derive from a C# record):
/// F# cannot implement the compiler-generated clone method an abstract record such as
/// <see cref="Module"/> asks of its subclasses, and this non-abstract record supplies it. Derive from it,
/// create instances with <see cref="Hk.Module{M}(Func{ModuleName, M}, string?)"/> (named after the
/// class exactly as a C# record would be) and wrap each method body in
/// <see cref="Module.Method{T}(Model{T}, string)"/>, so that parameters get the same paths as in C#.
/// </summary>
/// <example>
/// <code language="fsharp">
/// type Linear(name, width: int64) =
///     inherit FsModule(name)
///     member this.Call(x: Tensor) =
///         this.Method(model {
///             let! w = Hk.getParam "w" [ x.shape[1]; width ]
///             return x.matmul w })      // parameters live under ~/Linear_0/__call__/
/// </code>
/// </example>
public record FsModule : Module
{
    /// <summary>Gives the module its unique name (as handed out by <see cref="Hk.Module{M}(Func{ModuleName, M}, string?)"/>).</summary>
    /// <param name="name">The module's name.</param>
    protected FsModule(ModuleName name) : base(name)
    {
    }

    /// <summary>Modules of different classes are never equal, even under the same name.</summary>
    protected override Type EqualityContract => GetType();
}
