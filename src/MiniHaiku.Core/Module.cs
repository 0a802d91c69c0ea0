using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku;

/// <summary>
/// The base of every module: an immutable record that knows its <see cref="ModuleName"/>. Create
/// instances with <see cref="Hk.Module{M}(Func{ModuleName, M}, string?)"/>; wrap each method body in
/// <see cref="Method{T}(Model{T}, string)"/> so its parameters are named <c>{module path}/{method}/{name}</c>.
/// </summary>
/// <remarks>
/// Not abstract, so that F# classes can derive from it (F# cannot implement the clone method an abstract
/// record demands of its subclasses); its constructor is protected, so it is never instantiated itself.
/// F# users derive from <c>MiniHaiku.FSharp.Module</c>.
/// </remarks>
public record Module
{
    /// <summary>Gives the module its unique name.</summary>
    /// <param name="name">The unique name given by <see cref="Hk.Module{M}(Func{ModuleName, M}, string?)"/>.</param>
    protected Module(ModuleName name) => Name = name;

    /// <summary>The unique name given by <see cref="Hk.Module{M}(Func{ModuleName, M}, string?)"/>.</summary>
    public ModuleName Name { get; init; }

    /// <summary>
    /// Runs <paramref name="body"/> inside this module's scope for <paramref name="method"/>:
    /// <c>{Name.Path}/{method}</c>, with fresh module counters. <c>Call</c> appears as <c>__call__</c>.
    /// </summary>
    /// <example><code>
    /// public sealed record Scale(ModuleName Name) : Module(Name)
    /// {
    ///     public static Model&lt;Scale> Create(string? name = null) => Hk.Module(n => new Scale(n), name);
    ///     public Model&lt;Tensor> Call(Tensor x) => Method(   // parameters under ~/Scale_0/__call__/
    ///         from g in Hk.GetParam("g", [x.shape[^1]], Initializers.Ones())
    ///         select x * g);
    /// }
    /// </code></example>
    /// <typeparam name="T">The body's value type.</typeparam>
    /// <param name="body">The method's computation.</param>
    /// <param name="method">The method name; filled in by the compiler.</param>
    /// <returns>The scoped computation.</returns>
    protected Model<T> Method<T>(Model<T> body, [CallerMemberName] string method = "")
    {
        ArgumentNullException.ThrowIfNull(body);
        return Hk.ModuleMethod(this, method == "Call" ? "__call__" : method, null, body);
    }

    /// <summary>
    /// Like <see cref="Method{T}(Model{T}, string)"/>, also naming the method's input so that summaries
    /// (<c>Summary.Tabulate</c>) can show its shape. The input is only looked at while recording.
    /// </summary>
    /// <typeparam name="T">The body's value type.</typeparam>
    /// <param name="body">The method's computation.</param>
    /// <param name="input">The method's input (a tensor, tuple or list of tensors, …).</param>
    /// <param name="method">The method name; filled in by the compiler.</param>
    /// <returns>The scoped computation.</returns>
    protected Model<T> Method<T>(Model<T> body, Tensor input, [CallerMemberName] string method = "")
    {
        ArgumentNullException.ThrowIfNull(body);
        return Hk.ModuleMethod(this, method == "Call" ? "__call__" : method, input, body);
    }
}
