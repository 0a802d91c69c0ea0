namespace MiniHaiku;

/// <summary>
/// A computation that asks for named parameters, state and random keys and produces a value of type
/// <typeparamref name="T"/>. Compose models with C# query syntax (<c>from … in … select …</c>) or, in F#,
/// with the <c>model { … }</c> computation expression; run them with <see cref="Hk.Transform{TIn, TOut}"/>.
/// </summary>
/// <remarks>
/// A model is a description: building one runs nothing. The transform runs it with an explicit
/// continuation stack, so arbitrarily long chains of binds (left- or right-nested) and loops of millions of
/// steps run in constant native stack.
/// </remarks>
/// <typeparam name="T">The type of the value the computation produces.</typeparam>
public sealed class Model<T>
{
    internal readonly Step Node;

    internal Model(Step node) => Node = node;

    /// <summary>Runs the computation from <paramref name="frame"/>: its value and the final frame.</summary>
    internal (T Value, Frame Frame) Run(Frame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var (value, final) = Interpreter.Run(Node, frame);
        return ((T)value!, final);
    }

    /// <summary>Maps the value of this model (functor map; LINQ <c>select</c>).</summary>
    /// <typeparam name="TResult">The mapped type.</typeparam>
    /// <param name="selector">A pure function of the value.</param>
    /// <returns>A model producing <c>selector(value)</c>.</returns>
    public Model<TResult> Select<TResult>(Func<T, TResult> selector)
    {
        ArgumentNullException.ThrowIfNull(selector);
        return new(new MapStep(Node, v => selector((T)v!)));
    }

    /// <summary>Sequences this model with one that depends on its value (monadic bind).</summary>
    /// <typeparam name="TResult">The type of the second model's value.</typeparam>
    /// <param name="binder">Builds the next model from this model's value.</param>
    /// <returns>The combined model.</returns>
    public Model<TResult> SelectMany<TResult>(Func<T, Model<TResult>> binder)
    {
        ArgumentNullException.ThrowIfNull(binder);
        return new(new BindStep(Node, v => binder((T)v!).Node));
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
        return new(new BindStep(Node, v =>
        {
            var t = (T)v!;
            return new MapStep(binder(t).Node, u => projector(t, (TMiddle)u!));
        }));
    }

    /// <summary>Alias of <see cref="SelectMany{TResult}(Func{T, Model{TResult}})"/> for readers used to <c>Bind</c>.</summary>
    /// <typeparam name="TResult">The type of the second model's value.</typeparam>
    /// <param name="binder">Builds the next model from this model's value.</param>
    /// <returns>The combined model.</returns>
    public Model<TResult> Bind<TResult>(Func<T, Model<TResult>> binder) => SelectMany(binder);

    /// <summary>Runs this model, then <paramref name="next"/>, keeping the second value.</summary>
    /// <typeparam name="TResult">The type of the second model's value.</typeparam>
    /// <param name="next">The model to run afterwards.</param>
    /// <returns>The sequenced model.</returns>
    public Model<TResult> Then<TResult>(Model<TResult> next)
    {
        ArgumentNullException.ThrowIfNull(next);
        var n = next.Node;
        return new(new BindStep(Node, _ => n));
    }
}

/// <summary>
/// The typed vocabulary the rest of the core builds models with. The untyped instruction tree
/// (<see cref="Step"/>'s kinds) and its interpreter are private to this file: elsewhere a step is opaque.
/// </summary>
internal static class ModelOps
{
    /// <summary>A model producing <paramref name="value"/>, frame unchanged.</summary>
    public static Model<T> Pure<T>(T value) => new(new PureStep(value));

    /// <summary>A primitive: given the incoming frame, the value and the outgoing frame.</summary>
    public static Model<T> Lift<T>(Func<Frame, (T Value, Frame Frame)> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return new(new PrimStep(f =>
        {
            var (value, next) = run(f);
            return (value, next);
        }));
    }

    /// <summary>A value read from the frame, which stays unchanged.</summary>
    public static Model<T> Read<T>(Func<Frame, T> read) => new(new PrimStep(f => (read(f), f)));

    /// <summary>The current frame.</summary>
    public static Model<Frame> GetFrame() => new(new PrimStep(static f => (f, f)));

    /// <summary>Replaces the frame by <c>change(frame)</c>; produces the frame as it was before.</summary>
    public static Model<Frame> ModifyFrame(Func<Frame, Frame> change) => new(new PrimStep(f => (f, change(f))));

    /// <summary>The model <paramref name="choose"/> picks from the current frame (which it does not change).</summary>
    public static Model<T> FromFrame<T>(Func<Frame, Model<T>> choose) => new(new ChooseStep(f => choose(f).Node));

    /// <summary>Builds the model only when it runs (once per run).</summary>
    public static Model<T> Defer<T>(Func<Model<T>> build) => new(new ChooseStep(_ => build().Node));

    /// <summary>
    /// Runs <paramref name="body"/> between <paramref name="enter"/> (which changes the frame and saves what
    /// <paramref name="exit"/> needs) and <paramref name="exit"/> (given the frame after the body, the saved
    /// value and the body's value, the frame to continue with).
    /// </summary>
    public static Model<T> Bracket<TSaved, T>(Func<Frame, (TSaved Saved, Frame Frame)> enter, Model<T> body, Func<Frame, TSaved, T, Frame> exit) =>
        new(new FuncBracket<TSaved, T>(enter, exit, body.Node));

    /// <summary>Runs <paramref name="body"/> with a change of the frame undone by <paramref name="restore"/>(frame after, frame before).</summary>
    public static Model<T> Around<T>(Func<Frame, Frame> change, Model<T> body, Func<Frame, Frame, Frame> restore) =>
        new(new AroundBracket(change, restore, body.Node));

    /// <summary>Runs <paramref name="body"/> in a fresh scope invocation at <paramref name="path"/>.</summary>
    public static Model<T> InScope<T>(string path, Model<T> body) => new(new ScopeBracket(path, body.Node));

    /// <summary>A model producing the value of <paramref name="boxed"/> as a <typeparamref name="T"/>, or failing with <paramref name="describe"/>'s message.</summary>
    public static Model<T> Unbox<T>(Model<object?> boxed, Func<object?, string> describe) =>
        new(new MapStep(boxed.Node, v => v is T || (v is null && default(T) is null) ? v : throw new ModelUsageException(describe(v))));

    /// <summary>The value of <paramref name="model"/> as an object (for interceptors, which see every method's result).</summary>
    public static Model<object?> Box<T>(Model<T> model) => new(model.Node);

    /// <summary>
    /// <c>try … with</c>: runs <paramref name="body"/>; if it throws, runs the handler's model from the frame
    /// the body started with.
    /// </summary>
    public static Model<T> TryWith<T>(Model<T> body, Func<Exception, Model<T>> handler) =>
        new(new PrimStep(frame =>
        {
            (object? Value, Frame Frame) result;
            try
            {
                result = Interpreter.Run(body.Node, frame);
            }
            catch (Exception e)
            {
                return Interpreter.Run(handler(e).Node, frame);
            }
            return result;
        }));

    /// <summary><c>try … finally</c>: runs <paramref name="compensation"/> after <paramref name="body"/>, whether it returns or throws.</summary>
    public static Model<T> TryFinally<T>(Model<T> body, Action compensation) =>
        new(new PrimStep(frame =>
        {
            try
            {
                return Interpreter.Run(body.Node, frame);
            }
            finally
            {
                compensation();
            }
        }));
}

/// <summary>An instruction of the untyped tree behind <see cref="Model{T}"/>; its kinds are private to this file.</summary>
internal abstract class Step
{
    private protected Step() { }
}

file sealed class PureStep(object? value) : Step
{
    public readonly object? Value = value;
}

file sealed class PrimStep(Func<Frame, (object? Value, Frame Frame)> run) : Step
{
    public readonly Func<Frame, (object?, Frame)> Run = run;
}

file sealed class ChooseStep(Func<Frame, Step> choose) : Step
{
    public readonly Func<Frame, Step> Choose = choose;
}

file sealed class BindStep(Step source, Func<object?, Step> next) : Step
{
    public readonly Step Source = source;
    public readonly Func<object?, Step> Next = next;
}

file sealed class MapStep(Step source, Func<object?, object?> f) : Step
{
    public readonly Step Source = source;
    public readonly Func<object?, object?> F = f;
}

/// <summary>Runs its body between <see cref="Enter"/> and <see cref="Exit"/> (one node, one continuation).</summary>
file abstract class BracketStep(Step body) : Step
{
    public readonly Step Body = body;

    public abstract (object? Saved, Frame Frame) Enter(Frame frame);

    public abstract Frame Exit(Frame frame, object? saved, object? value);
}

file sealed class ScopeBracket(string path, Step body) : BracketStep(body)
{
    public override (object? Saved, Frame Frame) Enter(Frame frame) => (null, frame.PushScope(path));

    public override Frame Exit(Frame frame, object? saved, object? value) => frame.PopScope();
}

file sealed class AroundBracket(Func<Frame, Frame> change, Func<Frame, Frame, Frame> restore, Step body) : BracketStep(body)
{
    public override (object? Saved, Frame Frame) Enter(Frame frame) => (frame, change(frame));

    public override Frame Exit(Frame frame, object? saved, object? value) => restore(frame, (Frame)saved!);
}

file sealed class FuncBracket<TSaved, T>(Func<Frame, (TSaved Saved, Frame Frame)> enter, Func<Frame, TSaved, T, Frame> exit, Step body) : BracketStep(body)
{
    public override (object? Saved, Frame Frame) Enter(Frame frame)
    {
        var (saved, next) = enter(frame);
        return (saved, next);
    }

    public override Frame Exit(Frame frame, object? saved, object? value) => exit(frame, (TSaved)saved!, (T)value!);
}

/// <summary>Runs a <see cref="Step"/> tree with an explicit continuation stack (stack-safe).</summary>
file static class Interpreter
{
    /// <summary>A pending continuation: a bind (<c>Func&lt;object?, Step&gt;</c>), a map or a bracket's exit with its saved value.</summary>
    private readonly struct Continuation(object target, object? saved)
    {
        public readonly object Target = target;
        public readonly object? Saved = saved;
    }

    // One continuation stack per thread, reused across runs; a nested run (an interceptor chain, a remat) takes
    // a fresh one while the outer run holds it. Nothing is shared between threads.
    [ThreadStatic] private static Stack<Continuation>? cached;

    public static (object? Value, Frame Frame) Run(Step node, Frame frame)
    {
        var stack = cached ?? new Stack<Continuation>();
        cached = null;
        try
        {
            return Loop(node, frame, stack);
        }
        finally
        {
            stack.Clear();
            cached = stack;
        }
    }

    private static (object? Value, Frame Frame) Loop(Step node, Frame frame, Stack<Continuation> stack)
    {
        var bottom = stack.Count;
        while (true)
        {
            object? value;
            switch (node)
            {
                case BindStep b:
                    stack.Push(new Continuation(b.Next, null));
                    node = b.Source;
                    continue;
                case MapStep m:
                    stack.Push(new Continuation(m.F, null));
                    node = m.Source;
                    continue;
                case PrimStep s:
                    (value, frame) = s.Run(frame);
                    break;
                case PureStep p:
                    value = p.Value;
                    break;
                case BracketStep br:
                    {
                        (var saved, frame) = br.Enter(frame);
                        stack.Push(new Continuation(br, saved));
                        node = br.Body;
                        continue;
                    }
                case ChooseStep c:
                    node = c.Choose(frame);
                    continue;
                default:
                    throw new InvalidOperationException("Unknown model step " + node.GetType().Name);
            }

            // Apply continuations until one yields a new step to interpret.
            while (true)
            {
                if (stack.Count == bottom) return (value, frame);
                var k = stack.Pop();
                if (k.Target is Func<object?, Step> bind)
                {
                    node = bind(value);
                    break;
                }
                if (k.Target is Func<object?, object?> map) value = map(value);
                else frame = ((BracketStep)k.Target).Exit(frame, k.Saved, value);
            }
        }
    }
}
