namespace MiniHaiku;

/// <summary>
/// A computation-expression builder over <see cref="Model{T}"/> usable without the F# package:
/// <c>let model = ModelBuilder()</c>, then <c>model { let! w = Hk.GetParam("w", [|3L; 4L|]) … return y }</c>.
/// Loops (<c>for</c>, <c>while</c>) run in constant stack.
/// </summary>
/// <remarks>
/// Kept for compatibility with scripts written before <c>MiniHaiku.FSharp</c>. F# code should use that
/// package's auto-opened <c>model</c> value instead, which adds <c>use</c>, <c>use!</c>,
/// <c>try … with</c>, <c>try … finally</c> and <c>and!</c>, and F#'s <c>unit</c> instead of null.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822:Mark members as static",
    Justification = "F# computation expressions call the builder's members on an instance (model { … }).")]
public sealed class ModelBuilder
{
    /// <summary>A shared instance (the builder has no state).</summary>
    public static ModelBuilder Instance { get; } = new();

    /// <summary><c>let!</c>: binds a model's value.</summary>
    /// <typeparam name="T">The bound value's type.</typeparam>
    /// <typeparam name="TResult">The continuation's value type.</typeparam>
    /// <param name="model">The model to run.</param>
    /// <param name="binder">The rest of the expression.</param>
    /// <returns>The combined model.</returns>
    public Model<TResult> Bind<T, TResult>(Model<T> model, Func<T, Model<TResult>> binder)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.SelectMany(binder);
    }

    /// <summary><c>return</c>: a model producing <paramref name="value"/>.</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="value">The value.</param>
    /// <returns>The model.</returns>
    public Model<T> Return<T>(T value) => Hk.Pure(value);

    /// <summary><c>return!</c>: the model itself.</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="model">The model.</param>
    /// <returns>The same model.</returns>
    public Model<T> ReturnFrom<T>(Model<T> model) => model;

    /// <summary>The empty computation (an <c>if</c> without <c>else</c>); its value is F#'s unit (null).</summary>
    /// <typeparam name="T">Inferred by F# as <c>unit</c>.</typeparam>
    /// <returns>A model producing the default value.</returns>
    public Model<T> Zero<T>() => Hk.Pure<T>(default!);

    /// <summary>Runs <paramref name="first"/> then <paramref name="second"/>.</summary>
    /// <typeparam name="TFirst">The first model's (ignored) value type.</typeparam>
    /// <typeparam name="T">The second model's value type.</typeparam>
    /// <param name="first">The first model.</param>
    /// <param name="second">The second model.</param>
    /// <returns>The sequenced model.</returns>
    public Model<T> Combine<TFirst, T>(Model<TFirst> first, Model<T> second)
    {
        ArgumentNullException.ThrowIfNull(first);
        return first.Then(second);
    }

    /// <summary>Delays building the rest of the expression until the model runs.</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="body">Builds the model.</param>
    /// <returns>A model that calls <paramref name="body"/> when run.</returns>
    public Model<T> Delay<T>(Func<Model<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return Hk.Pure(0).SelectMany(_ => body());
    }

    /// <summary><c>for x in xs do …</c>: runs the body for each element, in constant stack.</summary>
    /// <typeparam name="TItem">The element type.</typeparam>
    /// <typeparam name="T">The body's value type (F#'s <c>unit</c>).</typeparam>
    /// <param name="items">The elements.</param>
    /// <param name="body">The loop body.</param>
    /// <returns>A model producing the last body value (default when empty).</returns>
    public Model<T> For<TItem, T>(IEnumerable<TItem> items, Func<TItem, Model<T>> body)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(body);
        // Each body is built just before it runs (as F# expects of `for … do printfn …; let! …`), and no
        // list of every model or value is kept.
        return Hk.Aggregate(items, default(T)!, (_, item) => body(item));
    }

    /// <summary><c>while cond do …</c>: runs the body while <paramref name="guard"/> holds, in constant stack.</summary>
    /// <typeparam name="T">The body's value type (F#'s <c>unit</c>).</typeparam>
    /// <param name="guard">Evaluated before each iteration.</param>
    /// <param name="body">The loop body.</param>
    /// <returns>A model producing the default value.</returns>
    public Model<T> While<T>(Func<bool> guard, Model<T> body)
    {
        ArgumentNullException.ThrowIfNull(guard);
        ArgumentNullException.ThrowIfNull(body);
        Model<T> Loop() => guard() ? body.SelectMany(_ => Loop()) : Hk.Pure<T>(default!);
        return Delay(Loop);
    }
}
