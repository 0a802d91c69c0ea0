namespace MiniHaiku;

/// <summary>
/// A computation that threads an immutable <see cref="Frame"/> (parameters, state, RNG, scopes and
/// module counters) and produces a value of type <typeparamref name="T"/>: a state monad over
/// <see cref="Frame"/>. Compose models with C# query syntax (<c>from … in … select …</c>) or, in F#,
/// with the <c>model { … }</c> computation expression (<see cref="ModelBuilder"/>).
/// </summary>
/// <remarks>
/// A model is a description: building one runs nothing. <see cref="Run"/> interprets it with an
/// explicit continuation stack, so arbitrarily long chains of binds (left- or right-nested) and loops
/// of millions of steps run in constant native stack.
/// </remarks>
/// <typeparam name="T">The type of the value the computation produces.</typeparam>
public sealed class Model<T>
{
    internal readonly Step Node;

    internal Model(Step node) => Node = node;

    /// <summary>Creates a primitive model from a function over frames.</summary>
    /// <param name="run">Given the incoming frame, returns the value and the outgoing frame.</param>
    public Model(Func<Frame, (T Value, Frame Frame)> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        Node = new Step.Prim(frame =>
        {
            var (value, next) = run(frame);
            return (value, next);
        });
    }

    /// <summary>Runs the computation from <paramref name="frame"/>.</summary>
    /// <param name="frame">The incoming frame, e.g. <see cref="Frame.ForInit(long, bool)"/>.</param>
    /// <returns>The value produced and the final frame.</returns>
    public (T Value, Frame Frame) Run(Frame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var (value, final) = Interpreter.Run(Node, frame);
        return ((T)value!, final);
    }

    /// <summary>Maps the value of this model (functor map; LINQ <c>select</c>).</summary>
    /// <example><code>Model&lt;Tensor> probs = model.Select(o => o.softmax(-1));   // or: from o in model select o.softmax(-1)</code></example>
    /// <typeparam name="TResult">The mapped type.</typeparam>
    /// <param name="selector">A pure function of the value.</param>
    /// <returns>A model producing <c>selector(value)</c>.</returns>
    public Model<TResult> Select<TResult>(Func<T, TResult> selector)
    {
        ArgumentNullException.ThrowIfNull(selector);
        return new(new Step.Map(Node, v => selector((T)v!)));
    }

    /// <summary>Sequences this model with one that depends on its value (monadic bind).</summary>
    /// <example><code>Model&lt;Tensor> twice = model.SelectMany(h => f(h));   // or: from h in model from o in f(h) select o</code></example>
    /// <typeparam name="TResult">The type of the second model's value.</typeparam>
    /// <param name="binder">Builds the next model from this model's value.</param>
    /// <returns>The combined model.</returns>
    public Model<TResult> SelectMany<TResult>(Func<T, Model<TResult>> binder)
    {
        ArgumentNullException.ThrowIfNull(binder);
        return new(new Step.Bind(Node, v => binder((T)v!).Node));
    }

    /// <summary>Bind followed by a projection: what C# query syntax uses for a second <c>from</c>.</summary>
    /// <typeparam name="TMiddle">The type of the intermediate model's value.</typeparam>
    /// <typeparam name="TResult">The type of the projected value.</typeparam>
    /// <param name="binder">Builds the intermediate model from this model's value.</param>
    /// <param name="projector">Combines both values.</param>
    /// <returns>The combined model.</returns>
    public Model<TResult> SelectMany<TMiddle, TResult>(Func<T, Model<TMiddle>> binder, Func<T, TMiddle, TResult> projector)
    {
        ArgumentNullException.ThrowIfNull(binder);
        ArgumentNullException.ThrowIfNull(projector);
        return new(new Step.Bind(Node, v =>
        {
            var t = (T)v!;
            return new Step.Map(binder(t).Node, u => projector(t, (TMiddle)u!));
        }));
    }

    /// <summary>Alias of <see cref="SelectMany{TResult}(Func{T, Model{TResult}})"/> for readers used to <c>Bind</c>.</summary>
    /// <example><code>Model&lt;Tensor> composed = model.Bind(f);   // the same as SelectMany(f)</code></example>
    /// <typeparam name="TResult">The type of the second model's value.</typeparam>
    /// <param name="binder">Builds the next model from this model's value.</param>
    /// <returns>The combined model.</returns>
    public Model<TResult> Bind<TResult>(Func<T, Model<TResult>> binder) => SelectMany(binder);

    /// <summary>Runs this model, then <paramref name="next"/>, keeping the second value.</summary>
    /// <example><code>Model&lt;Tensor> afterCount = Hk.SetState("seen", ones(1)).Then(model);   // run the first for its effect only</code></example>
    /// <typeparam name="TResult">The type of the second model's value.</typeparam>
    /// <param name="next">The model to run afterwards.</param>
    /// <returns>The sequenced model.</returns>
    public Model<TResult> Then<TResult>(Model<TResult> next)
    {
        ArgumentNullException.ThrowIfNull(next);
        var n = next.Node;
        return new(new Step.Bind(Node, _ => n));
    }
}

/// <summary>The untyped instruction tree behind <see cref="Model{T}"/>.</summary>
internal abstract class Step
{
    internal sealed class Pure(object? value) : Step { public readonly object? Value = value; }

    internal sealed class Prim(Func<Frame, (object? Value, Frame Frame)> run) : Step { public readonly Func<Frame, (object?, Frame)> Run = run; }

    internal sealed class Bind(Step source, Func<object?, Step> next) : Step
    {
        public readonly Step Source = source;
        public readonly Func<object?, Step> Next = next;
    }

    internal sealed class Map(Step source, Func<object?, object?> f) : Step
    {
        public readonly Step Source = source;
        public readonly Func<object?, object?> F = f;
    }
}

/// <summary>Runs a <see cref="Step"/> tree with an explicit continuation stack (stack-safe).</summary>
internal static class Interpreter
{
    private readonly struct Continuation(Func<object?, Step>? bind, Func<object?, object?>? map)
    {
        public readonly Func<object?, Step>? Bind = bind;
        public readonly Func<object?, object?>? Map = map;
    }

    public static (object? Value, Frame Frame) Run(Step node, Frame frame)
    {
        // The continuation stack is local to one run: nothing is shared between runs or threads.
        var stack = new Stack<Continuation>();
        while (true)
        {
            object? value;
            switch (node)
            {
                case Step.Bind b:
                    stack.Push(new Continuation(b.Next, null));
                    node = b.Source;
                    continue;
                case Step.Map m:
                    stack.Push(new Continuation(null, m.F));
                    node = m.Source;
                    continue;
                case Step.Pure p:
                    value = p.Value;
                    break;
                case Step.Prim s:
                    (value, frame) = s.Run(frame);
                    break;
                default:
                    throw new InvalidOperationException("Unknown model step " + node.GetType().Name);
            }

            // Apply continuations until one yields a new step to interpret.
            while (true)
            {
                if (stack.Count == 0) return (value, frame);
                var k = stack.Pop();
                if (k.Map is not null)
                {
                    value = k.Map(value);
                    continue;
                }
                node = k.Bind!(value);
                break;
            }
        }
    }
}
