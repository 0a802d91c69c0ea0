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
    /// <example><code>Model&lt;Tensor> probs = model.Select(o => o.softmax(-1));   // or: from o in model select o.softmax(-1)</code></example>
    /// <typeparam name="TResult">The mapped type.</typeparam>
    /// <param name="selector">A pure function of the value.</param>
    /// <returns>A model producing <c>selector(value)</c>.</returns>
    public Model<TResult> Select<TResult>(Func<T, TResult> selector)
    {
        ArgumentNullException.ThrowIfNull(selector);
        return new(new MapStep<T, TResult>(Node, selector));
    }

    /// <summary>Sequences this model with one that depends on its value (monadic bind).</summary>
    /// <example><code>Model&lt;Tensor> twice = model.SelectMany(h => f(h));   // or: from h in model from o in f(h) select o</code></example>
    /// <typeparam name="TResult">The type of the second model's value.</typeparam>
    /// <param name="binder">Builds the next model from this model's value.</param>
    /// <returns>The combined model.</returns>
    public Model<TResult> SelectMany<TResult>(Func<T, Model<TResult>> binder)
    {
        ArgumentNullException.ThrowIfNull(binder);
        return new(new BindStep<T, TResult>(Node, binder));
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
        return new(new BindProjectStep<T, TMiddle, TResult>(Node, binder, projector));
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
        return new(new ThenStep(Node, next.Node));
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

    /// <summary>
    /// <c>model.SelectMany(v => binder(v, arg))</c> without the closure and its delegate: <paramref name="binder"/>
    /// should be static (one object per use).
    /// </summary>
    public static Model<TResult> Bind<T, TArg, TResult>(Model<T> model, TArg arg, Func<T, TArg, Model<TResult>> binder) =>
        new(new BindWithArgStep<T, TArg, TResult>(model.Node, arg, binder));

    /// <summary>A primitive: given the incoming frame, the value and the outgoing frame.</summary>
    public static Model<T> Lift<T>(Func<Frame, (T Value, Frame Frame)> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return new(new PrimStep<T>(run));
    }

    /// <summary>A primitive object (one allocation where a capturing lambda needs two).</summary>
    public static Model<T> Lift<T>(Primitive<T> primitive) => new(primitive);

    /// <summary>A value read from the frame, which stays unchanged.</summary>
    public static Model<T> Read<T>(Func<Frame, T> read) => new(new ReadStep<T>(read));

    /// <summary>The current frame.</summary>
    public static Model<Frame> GetFrame() => new(new ReadStep<Frame>(static f => f));

    /// <summary>Replaces the frame by <c>change(frame)</c>; produces the frame as it was before.</summary>
    public static Model<Frame> ModifyFrame(Func<Frame, Frame> change) => new(new ModifyStep(change));

    /// <summary>The model <paramref name="choose"/> picks from the current frame (which it does not change).</summary>
    public static Model<T> FromFrame<T>(Func<Frame, Model<T>> choose) => new(new ChooseStep<T>(choose));

    /// <summary>Builds the model only when it runs (once per run).</summary>
    public static Model<T> Defer<T>(Func<Model<T>> build) => new(new DeferStep<T>(build));

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
    public static Model<T> InScope<T>(string path, Model<T> body) => new(new ScopeBracket(path, null, body.Node));

    /// <summary>Runs <paramref name="body"/> in <paramref name="module"/>'s fresh scope invocation at <paramref name="path"/>.</summary>
    public static Model<T> InModuleScope<T>(string path, Module module, Model<T> body) => new(new ScopeBracket(path, module, body.Node));

    /// <summary>A model producing the value of <paramref name="boxed"/> as a <typeparamref name="T"/>, or failing with <paramref name="describe"/>'s message.</summary>
    public static Model<T> Unbox<T>(Model<object?> boxed, Func<object?, string> describe) => new(new UnboxStep<T>(boxed.Node, describe));

    /// <summary>The value of <paramref name="model"/> as an object (for interceptors, which see every method's result).</summary>
    public static Model<object?> Box<T>(Model<T> model) => new(model.Node);

    /// <summary>
    /// <c>try … with</c>: runs <paramref name="body"/>; if it throws, runs the handler's model from the frame
    /// the body started with.
    /// </summary>
    public static Model<T> TryWith<T>(Model<T> body, Func<Exception, Model<T>> handler) =>
        Lift<T>(frame =>
        {
            (T Value, Frame Frame) result;
            try
            {
                result = body.Run(frame);
            }
            catch (Exception e)
            {
                return handler(e).Run(frame);
            }
            return result;
        });

    /// <summary><c>try … finally</c>: runs <paramref name="compensation"/> after <paramref name="body"/>, whether it returns or throws.</summary>
    public static Model<T> TryFinally<T>(Model<T> body, Action compensation) =>
        Lift<T>(frame =>
        {
            try
            {
                return body.Run(frame);
            }
            finally
            {
                compensation();
            }
        });
}

/// <summary>An instruction of the untyped tree behind <see cref="Model{T}"/>; its kinds are private to this file.</summary>
internal abstract class Step
{
    private protected Step() { }
}

/// <summary>A step that computes a value from the frame (and the next frame) in one call.</summary>
internal abstract class ValueStep : Step
{
    private protected ValueStep() { }

    internal abstract (object? Value, Frame Frame) RunBoxed(Frame frame);
}

/// <summary>
/// A typed primitive the rest of the core may define as a class (e.g. a parameter lookup holding its
/// arguments): one object per use, where a capturing lambda costs a closure and a delegate.
/// </summary>
/// <typeparam name="T">The value type.</typeparam>
internal abstract class Primitive<T> : ValueStep
{
    /// <summary>Given the incoming frame, the value and the outgoing frame.</summary>
    public abstract (T Value, Frame Frame) Run(Frame frame);

    internal sealed override (object? Value, Frame Frame) RunBoxed(Frame frame)
    {
        var (value, next) = Run(frame);
        return (value, next);
    }
}

file sealed class PureStep(object? value) : Step
{
    public readonly object? Value = value;
}

file sealed class PrimStep<T>(Func<Frame, (T Value, Frame Frame)> run) : ValueStep
{
    internal override (object? Value, Frame Frame) RunBoxed(Frame frame)
    {
        var (value, next) = run(frame);
        return (value, next);
    }
}

file sealed class ReadStep<T>(Func<Frame, T> read) : ValueStep
{
    internal override (object? Value, Frame Frame) RunBoxed(Frame frame) => (read(frame), frame);
}

file sealed class ModifyStep(Func<Frame, Frame> change) : ValueStep
{
    internal override (object? Value, Frame Frame) RunBoxed(Frame frame) => (frame, change(frame));
}

/// <summary>Picks the next step from the frame.</summary>
internal abstract class ChooseBase : Step
{
    private protected ChooseBase() { }

    internal abstract Step NextStep(Frame frame);
}

/// <summary>
/// A typed choice the rest of the core may define as a class: the model to run, picked from the current
/// frame (which it does not change). One object per use, where a capturing lambda costs two.
/// </summary>
/// <typeparam name="T">The value type.</typeparam>
internal abstract class Choice<T> : ChooseBase
{
    /// <summary>The model to run from <paramref name="frame"/>.</summary>
    public abstract Model<T> Choose(Frame frame);

    internal sealed override Step NextStep(Frame frame) => Choose(frame).Node;

    /// <summary>This choice as a model.</summary>
    public Model<T> ToModel() => new(this);
}

file sealed class ChooseStep<T>(Func<Frame, Model<T>> choose) : ChooseBase
{
    internal override Step NextStep(Frame frame) => choose(frame).Node;
}

file sealed class DeferStep<T>(Func<Model<T>> build) : ChooseBase
{
    internal override Step NextStep(Frame frame) => build().Node;
}

/// <summary>Runs <see cref="Source"/>, then the step <see cref="Next"/> makes of its value.</summary>
file abstract class BindBase(Step source) : Step
{
    public readonly Step Source = source;

    public abstract Step Next(object? value);
}

file sealed class BindStep<T, TResult>(Step source, Func<T, Model<TResult>> binder) : BindBase(source)
{
    public override Step Next(object? value) => binder((T)value!).Node;
}

file sealed class BindWithArgStep<T, TArg, TResult>(Step source, TArg arg, Func<T, TArg, Model<TResult>> binder) : BindBase(source)
{
    public override Step Next(object? value) => binder((T)value!, arg).Node;
}

file sealed class ThenStep(Step source, Step next) : BindBase(source)
{
    public override Step Next(object? value) => next;
}

file sealed class BindProjectStep<T, TMiddle, TResult>(Step source, Func<T, Model<TMiddle>> binder, Func<T, TMiddle, TResult> projector) : BindBase(source)
{
    public override Step Next(object? value)
    {
        var t = (T)value!;
        return new ProjectStep<T, TMiddle, TResult>(binder(t).Node, t, projector);
    }
}

/// <summary>Runs <see cref="Source"/> and maps its value.</summary>
file abstract class MapBase(Step source) : Step
{
    public readonly Step Source = source;

    public abstract object? Map(object? value);
}

file sealed class MapStep<T, TResult>(Step source, Func<T, TResult> selector) : MapBase(source)
{
    public override object? Map(object? value) => selector((T)value!);
}

file sealed class ProjectStep<T, TMiddle, TResult>(Step source, T first, Func<T, TMiddle, TResult> projector) : MapBase(source)
{
    public override object? Map(object? value) => projector(first, (TMiddle)value!);
}

file sealed class UnboxStep<T>(Step source, Func<object?, string> describe) : MapBase(source)
{
    public override object? Map(object? value) =>
        value is T || (value is null && default(T) is null) ? value : throw new ModelUsageException(describe(value));
}

/// <summary>Runs its body between an enter and an exit (one node, one continuation).</summary>
internal abstract class BracketStep : Step
{
    internal readonly Step Body;

    private protected BracketStep(Step body) => Body = body;

    internal abstract (object? Saved, Frame Frame) EnterBoxed(Frame frame);

    internal abstract Frame ExitBoxed(Frame frame, object? saved, object? value);

    /// <summary>A step to run instead of this bracket in <paramref name="frame"/>, or null to run the bracket.</summary>
    internal virtual Step? Redirect(Frame frame) => null;
}

/// <summary>
/// A typed bracket the rest of the core may define as a class (e.g. a module method's scope, which records
/// the call): <see cref="Enter"/> changes the frame before the body and saves what <see cref="Exit"/> needs.
/// </summary>
/// <typeparam name="TSaved">What the exit needs from the enter.</typeparam>
/// <typeparam name="T">The body's value type.</typeparam>
internal abstract class Bracket<TSaved, T> : BracketStep
{
    protected Bracket(Model<T> body) : base(body.Node) { }

    /// <summary>The frame the body starts from, and what <see cref="Exit"/> needs.</summary>
    public abstract (TSaved Saved, Frame Frame) Enter(Frame frame);

    /// <summary>The frame to continue with, given the frame after the body, the saved value and the body's value.</summary>
    public abstract Frame Exit(Frame frame, TSaved saved, T value);

    /// <summary>
    /// A model to run instead of this bracket in <paramref name="frame"/> (e.g. a module method under method
    /// interceptors), or null (the default) to run the bracket.
    /// </summary>
    public virtual Model<T>? Instead(Frame frame) => null;

    internal sealed override Step? Redirect(Frame frame) => Instead(frame)?.Node;

    internal sealed override (object? Saved, Frame Frame) EnterBoxed(Frame frame)
    {
        var (saved, next) = Enter(frame);
        return (saved, next);
    }

    internal sealed override Frame ExitBoxed(Frame frame, object? saved, object? value) => Exit(frame, (TSaved)saved!, (T)value!);

    /// <summary>This bracket as a model.</summary>
    public Model<T> ToModel() => new(this);
}

file sealed class ScopeBracket(string path, Module? module, Step body) : BracketStep(body)
{
    // Saved: the frame before the scope, returned on leaving when the body changed nothing else (no allocation).
    internal override (object? Saved, Frame Frame) EnterBoxed(Frame frame) =>
        (frame, module is null ? frame.PushScope(path) : frame.PushScope(path, module));

    internal override Frame ExitBoxed(Frame frame, object? saved, object? value) => frame.PopScopeTo((Frame)saved!);
}

file sealed class AroundBracket(Func<Frame, Frame> change, Func<Frame, Frame, Frame> restore, Step body) : BracketStep(body)
{
    internal override (object? Saved, Frame Frame) EnterBoxed(Frame frame) => (frame, change(frame));

    internal override Frame ExitBoxed(Frame frame, object? saved, object? value) => restore(frame, (Frame)saved!);
}

file sealed class FuncBracket<TSaved, T>(Func<Frame, (TSaved Saved, Frame Frame)> enter, Func<Frame, TSaved, T, Frame> exit, Step body) : BracketStep(body)
{
    internal override (object? Saved, Frame Frame) EnterBoxed(Frame frame)
    {
        var (saved, next) = enter(frame);
        return (saved, next);
    }

    internal override Frame ExitBoxed(Frame frame, object? saved, object? value) => exit(frame, (TSaved)saved!, (T)value!);
}

/// <summary>Runs a <see cref="Step"/> tree with an explicit continuation stack (stack-safe).</summary>
file static class Interpreter
{
    /// <summary>A pending continuation: a bind, a map, or a bracket's exit with its saved value.</summary>
    private readonly struct Continuation(Step step, object? saved)
    {
        public readonly Step Step = step;
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
            // Keep it for the next run unless a deep model grew it (then let it go rather than hold the memory).
            stack.Clear();
            if (stack.EnsureCapacity(0) <= 1024) cached = stack;
        }
    }

    private static (object? Value, Frame Frame) Loop(Step node, Frame frame, Stack<Continuation> stack)
    {
        while (true)
        {
            object? value;
            switch (node)
            {
                case BindBase b:
                    stack.Push(new Continuation(b, null));
                    node = b.Source;
                    continue;
                case ValueStep s:
                    (value, frame) = s.RunBoxed(frame);
                    break;
                case MapBase m:
                    stack.Push(new Continuation(m, null));
                    node = m.Source;
                    continue;
                case PureStep p:
                    value = p.Value;
                    break;
                case BracketStep br:
                    {
                        if (br.Redirect(frame) is { } instead)
                        {
                            node = instead;
                            continue;
                        }
                        (var saved, frame) = br.EnterBoxed(frame);
                        stack.Push(new Continuation(br, saved));
                        node = br.Body;
                        continue;
                    }
                case ChooseBase c:
                    node = c.NextStep(frame);
                    continue;
                default:
                    throw new InvalidOperationException("Unknown model step " + node.GetType().Name);
            }

            // Apply continuations until one yields a new step to interpret.
            while (true)
            {
                if (stack.Count == 0) return (value, frame);
                var k = stack.Pop();
                if (k.Step is BindBase bind)
                {
                    node = bind.Next(value);
                    break;
                }
                if (k.Step is MapBase map) value = map.Map(value);
                else frame = ((BracketStep)k.Step).ExitBoxed(frame, k.Saved, value);
            }
        }
    }
}
