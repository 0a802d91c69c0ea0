using System.Collections.Immutable;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku;

/// <summary>
/// What an interceptor knows about a parameter (or state) being created, read or set: Haiku's
/// <c>GetterContext</c>. Interceptors may pass a changed copy (<c>context with { DType = … }</c>) to
/// <c>next</c>: another shape, dtype or initializer, or another <see cref="FullName"/> (to read or create
/// the value at another path, e.g. to tie weights).
/// </summary>
/// <param name="FullName">The full path, e.g. <c>~/Linear_0/__call__/w</c>.</param>
/// <param name="Name">The leaf name, e.g. <c>w</c>.</param>
/// <param name="Scope">The scope path, e.g. <c>~/Linear_0/__call__</c>.</param>
/// <param name="Module">The module whose method asked for it, or null outside any module method.</param>
/// <param name="Shape">The requested shape (null when the caller gave none).</param>
/// <param name="DType">The requested element type.</param>
/// <param name="Init">The requested initializer (null for the default).</param>
/// <param name="IsState">True for state (<see cref="Hk.SetState"/>), false for a parameter.</param>
public sealed record GetterContext(string FullName, string Name, string Scope, Module? Module, long[]? Shape, ScalarType DType, Initializer? Init, bool IsState);

/// <summary>
/// A parameter interceptor (<see cref="Hk.CustomCreator{T}"/>, <see cref="Hk.CustomGetter{T}"/>): given the
/// request and <paramref name="next"/> (the rest of the chain), returns the value to use. Returning
/// <c>next(context)</c> unchanged is the identity. May itself ask for parameters (<see cref="Hk.GetParam(string, long[], Initializer, ScalarType?)"/>).
/// </summary>
/// <param name="context">The request.</param>
/// <param name="next">Runs the interceptors entered inside this one, then the default behaviour.</param>
/// <returns>A model producing the value.</returns>
public delegate Model<Tensor> ParamInterceptor(GetterContext context, Func<GetterContext, Model<Tensor>> next);

/// <summary>A state setter (<see cref="Hk.CustomSetter{T}"/>): sees every <see cref="Hk.SetState"/> and may change the value stored.</summary>
/// <param name="context">Which state is set (<see cref="GetterContext.IsState"/> is true).</param>
/// <param name="value">The value being set.</param>
/// <param name="next">Stores a value (after the setters entered inside this one).</param>
/// <returns>A model producing the value stored.</returns>
public delegate Model<Tensor> StateSetter(GetterContext context, Tensor value, Func<Tensor, Model<Tensor>> next);

/// <summary>A module method call seen by <see cref="Hk.InterceptMethods{T}"/> (Haiku's <c>MethodContext</c>).</summary>
/// <param name="Module">The module instance.</param>
/// <param name="Method">The method name (<c>__call__</c> for <c>Call</c>).</param>
/// <param name="Input">The input the method declared (see <c>Module.Method(body, input)</c>), or null.</param>
public sealed record MethodContext(Module Module, string Method, object? Input);

/// <summary>
/// A method interceptor (<see cref="Hk.InterceptMethods{T}"/>): runs in the caller's scope around a module
/// method call; <paramref name="next"/> is the method (in its own scope). Returning <paramref name="next"/>
/// is the identity.
/// </summary>
/// <param name="context">The call.</param>
/// <param name="next">The method's computation; its value is the method's result (boxed).</param>
/// <returns>A model producing the method's result (it must have the method's result type).</returns>
public delegate Model<object?> MethodInterceptor(MethodContext context, Model<object?> next);

public static partial class Hk
{
    /// <summary>
    /// Runs <paramref name="body"/> with <paramref name="creator"/> intercepting every parameter created
    /// during <c>Init</c> (Haiku's <c>hk.custom_creator</c>). <c>next(context)</c> makes the initial value
    /// from the context's shape, dtype and initializer; whatever the creator returns is stored at
    /// <see cref="GetterContext.FullName"/>. Creators stack: the outermost runs first. Not called during
    /// <c>Apply</c>, nor for a parameter that already exists.
    /// </summary>
    /// <typeparam name="T">The body's value type.</typeparam>
    /// <param name="creator">The creator.</param>
    /// <param name="body">The computation whose parameters it sees.</param>
    /// <returns>The intercepted computation.</returns>
    /// <example><code>Hk.CustomCreator((ctx, next) => next(ctx with { Init = Initializers.Zeros() }), model)</code></example>
    public static Model<T> CustomCreator<T>(ParamInterceptor creator, Model<T> body)
    {
        ArgumentNullException.ThrowIfNull(creator);
        ArgumentNullException.ThrowIfNull(body);
        return Scoping.WithExtras(x => x with { Creators = x.Creators.Add(creator) }, (now, old) => now with { Creators = old.Creators }, body);
    }

    /// <summary>
    /// Runs <paramref name="body"/> with <paramref name="getter"/> intercepting every <c>GetParam</c>, in
    /// <c>Init</c> and <c>Apply</c> alike (Haiku's <c>hk.custom_getter</c>). <c>next(context)</c> gets
    /// (creating during <c>Init</c>) the parameter the context describes; the getter returns the value the
    /// model sees. Getters stack: the outermost runs first and sees what the inner ones return. While a
    /// getter runs, parameters it asks for pass only through the getters entered before it.
    /// </summary>
    /// <typeparam name="T">The body's value type.</typeparam>
    /// <param name="getter">The getter.</param>
    /// <param name="body">The computation whose parameter reads it sees.</param>
    /// <returns>The intercepted computation.</returns>
    /// <example>Mixed precision (store Float32, compute in the requested dtype):
    /// <code>Hk.CustomGetter((ctx, next) => next(ctx with { DType = ScalarType.Float32 }).Select(w => w.to_type(ctx.DType)), model)</code></example>
    public static Model<T> CustomGetter<T>(ParamInterceptor getter, Model<T> body)
    {
        ArgumentNullException.ThrowIfNull(getter);
        ArgumentNullException.ThrowIfNull(body);
        return Scoping.WithExtras(x => x with { Getters = x.Getters.Add(getter) }, (now, old) => now with { Getters = old.Getters }, body);
    }

    /// <summary>
    /// Runs <paramref name="body"/> with <paramref name="setter"/> intercepting every <see cref="SetState"/>
    /// (Haiku's <c>hk.custom_setter</c>): it may change the value stored. Setters stack: the outermost runs first.
    /// </summary>
    /// <example><code>Hk.CustomSetter((ctx, value, next) => next(value.clamp(-1, 1)), model)   // every SetState stores a clipped value</code></example>
    /// <typeparam name="T">The body's value type.</typeparam>
    /// <param name="setter">The setter.</param>
    /// <param name="body">The computation whose state updates it sees.</param>
    /// <returns>The intercepted computation.</returns>
    public static Model<T> CustomSetter<T>(StateSetter setter, Model<T> body)
    {
        ArgumentNullException.ThrowIfNull(setter);
        ArgumentNullException.ThrowIfNull(body);
        return Scoping.WithExtras(x => x with { Setters = x.Setters.Add(setter) }, (now, old) => now with { Setters = old.Setters }, body);
    }

    /// <summary>
    /// Runs <paramref name="body"/> with <paramref name="interceptor"/> around every module method call
    /// in it (Haiku's <c>hk.intercept_methods</c>), e.g. to capture intermediate outputs with
    /// <see cref="SetState"/> or to replace a module's result. Interceptors stack: the outermost runs first.
    /// </summary>
    /// <example><code>
    /// Hk.InterceptMethods((ctx, next) =>
    /// {
    ///     Console.WriteLine($"{ctx.Module.Name} {ctx.Method}");   // log every module method call
    ///     return next;
    /// }, model)
    /// </code></example>
    /// <typeparam name="T">The body's value type.</typeparam>
    /// <param name="interceptor">The interceptor.</param>
    /// <param name="body">The computation whose module calls it sees.</param>
    /// <returns>The intercepted computation.</returns>
    public static Model<T> InterceptMethods<T>(MethodInterceptor interceptor, Model<T> body)
    {
        ArgumentNullException.ThrowIfNull(interceptor);
        ArgumentNullException.ThrowIfNull(body);
        return Scoping.WithExtras(x => x with { MethodInterceptors = x.MethodInterceptors.Add(interceptor) }, (now, old) => now with { MethodInterceptors = old.MethodInterceptors }, body);
    }

    /// <summary>Runs <paramref name="body"/> with one interceptor list set to <paramref name="during"/>; only that list is restored afterwards (the rest keeps what the body did).</summary>
    private static Model<T> WithInterceptors<TItem, T>(Func<FrameExtras, ImmutableList<TItem>> get, Func<FrameExtras, ImmutableList<TItem>, FrameExtras> set,
        ImmutableList<TItem> during, Model<T> body) =>
        ModelOps.Around(f => f with { Extras = set(f.Extras, during) }, body, (now, before) => now with { Extras = set(now.Extras, get(before.Extras)) });

    /// <summary>
    /// GetParam through the getter and creator stacks. Without interceptors this is the plain one-step
    /// lookup (no extra allocation per call); with them, the chain runs in a nested interpreter.
    /// </summary>
    internal static Model<Tensor> GetParamIntercepted(string name, long[]? shape, Initializer? init, ScalarType? dtype) =>
        ModelOps.Lift(new GetParamPrimitive(name, shape, init, dtype));

    /// <summary>One GetParam: a single object per call holding its arguments.</summary>
    private sealed class GetParamPrimitive(string name, long[]? shape, Initializer? init, ScalarType? dtype) : Primitive<Tensor>
    {
        public override (Tensor Value, Frame Frame) Run(Frame frame)
        {
            if (PlainParamAccess(frame)) return GetParamStep(frame, name, shape, init, dtype);
            var x = frame.Extras;
            var scope = frame.CurrentScope.Path;
            Naming.ValidateLeafName(name, scope, "parameter");
            var context = new GetterContext(scope + "/" + name, name, scope, frame.CurrentScope.Module, shape, dtype ?? ScalarType.Float32, init, false);
            return RunGetter(x.Getters, 0, context).Run(frame);
        }
    }

    private static Model<Tensor> RunGetter(ImmutableList<ParamInterceptor> getters, int i, GetterContext context)
    {
        if (i == getters.Count) return BaseGet(context);
        var getter = getters[i];
        return WithInterceptors(x => x.Getters, (x, g) => x with { Getters = g }, getters.GetRange(0, i),
            Checked(getter(context, c => RunGetter(getters, i + 1, c ?? throw new ArgumentNullException(nameof(c)))), "custom getter", context));
    }

    private static Model<Tensor> Checked(Model<Tensor>? m, string kind, GetterContext context) =>
        m is null
            ? throw new ModelUsageException($"A {kind} returned a null model for '{context.FullName}'; return next(context) to leave it unchanged.")
            : m.Select(v => v ?? throw new ModelUsageException($"A {kind} produced a null tensor for '{context.FullName}'."));

    private static (string Scope, string Name) SplitPath(string fullName)
    {
        var slash = fullName.LastIndexOf('/');
        if (slash <= 0 || slash == fullName.Length - 1)
            throw new ParameterNameException($"Invalid parameter path '{fullName}' given by an interceptor: it must look like '~/scope/name'.", fullName, "");
        return (fullName[..slash], fullName[(slash + 1)..]);
    }

    /// <summary>The default behaviour under the getters: create (through the creators) or read the parameter at <c>context.FullName</c>.</summary>
    private static Model<Tensor> BaseGet(GetterContext context) =>
        ModelOps.FromFrame(frame =>
        {
            var (scope, name) = SplitPath(context.FullName);
            var creating = frame.IsInitializing && !frame.Params.ContainsKey(context.FullName);
            if (!creating || (frame.Extras.Creators.IsEmpty && !frame.Extras.Meta))
                return ModelOps.Lift(f =>
                {
                    var (value, next) = GetParamStep(f.WithScope(f.CurrentScope with { Path = scope }), name, context.Shape, context.Init, context.DType);
                    return (value, next.WithScope(f.CurrentScope));
                });
            if (context.Shape is null) throw new MissingShapeException(context.FullName);
            return RunCreator(frame.Extras.Creators, 0, context).SelectMany(value => ModelOps.Lift(f =>
            {
                if (f.Params.ContainsKey(context.FullName))
                    throw new ModelUsageException($"A custom creator for '{context.FullName}' created that same parameter itself; call next(context) instead.");
                return (value, f with { Params = f.Params.With(context.FullName, value) });
            }));
        });

    private static Model<Tensor> RunCreator(ImmutableList<ParamInterceptor> creators, int i, GetterContext context)
    {
        if (i == creators.Count)
            return ModelOps.Read(f =>
            {
                var shape = context.Shape ?? throw new MissingShapeException(context.FullName);
                return f.Extras.Meta
                    ? torch.empty(shape, context.DType, device: torch.META)
                    : CreateInitial(context.FullName, shape, context.Init ?? Initializers.RandomNormal(), context.DType, f.InitKey);
            });
        var creator = creators[i];
        return WithInterceptors(x => x.Creators, (x, c) => x with { Creators = c }, creators.GetRange(0, i),
            Checked(creator(context, c => RunCreator(creators, i + 1, c ?? throw new ArgumentNullException(nameof(c)))), "custom creator", context));
    }

    /// <summary>SetState through the setter stack (the plain one-step update when there is none).</summary>
    internal static Model<Tensor> SetStateIntercepted(string name, Tensor value, Func<Frame, Tensor, (Tensor, Frame)> store) =>
        ModelOps.Lift(frame =>
        {
            var setters = frame.Extras.Setters;
            if (setters.IsEmpty) return store(frame, value);
            var scope = frame.CurrentScope.Path;
            Naming.ValidateLeafName(name, scope, "state");
            var context = new GetterContext(scope + "/" + name, name, scope, frame.CurrentScope.Module, value.shape, value.dtype, null, true);
            return RunSetter(setters, 0, context, value, store).Run(frame);
        });

    private static Model<Tensor> RunSetter(ImmutableList<StateSetter> setters, int i, GetterContext context, Tensor value, Func<Frame, Tensor, (Tensor, Frame)> store)
    {
        if (i == setters.Count) return ModelOps.Lift(f => store(f, value));
        var setter = setters[i];
        return WithInterceptors(x => x.Setters, (x, s) => x with { Setters = s }, setters.GetRange(0, i),
            Checked(setter(context, value, v => RunSetter(setters, i + 1, context, v ?? throw new ArgumentNullException(nameof(v)), store)), "custom setter", context));
    }

    /// <summary>A module method: scoped at <c>{module path}/{method}</c> with the module as the current one, and the method interceptors around it.</summary>
    internal static Model<T> ModuleMethod<T>(Module module, string method, object? input, Model<T> body) =>
        Scoping.MethodScoped(module, method, input, body, intercepted: true);

    /// <summary>A module method call (<paramref name="scoped"/>, its body in its scope) under the method interceptors of the frame.</summary>
    internal static Model<T> InterceptMethod<T>(Module module, string method, object? input, Model<T> scoped, ImmutableList<MethodInterceptor> interceptors)
    {
        var context = new MethodContext(module, method, input);
        return ModelOps.Unbox<T>(RunMethodInterceptor(interceptors, 0, context, ModelOps.Box(scoped)),
            v => $"A method interceptor for '{module.Name.Path}/{method}' produced a {v?.GetType().Name ?? "null"} where the method returns {typeof(T).Name}; it must produce the method's result type.");
    }

    private static Model<object?> RunMethodInterceptor(ImmutableList<MethodInterceptor> interceptors, int i, MethodContext context, Model<object?> scoped)
    {
        // The method itself runs under the whole stack again, so the modules it calls are intercepted too.
        if (i == interceptors.Count) return WithInterceptors(x => x.MethodInterceptors, (x, m) => x with { MethodInterceptors = m }, interceptors, scoped);
        var next = RunMethodInterceptor(interceptors, i + 1, context, scoped);
        var result = interceptors[i](context, next)
            ?? throw new ModelUsageException($"A method interceptor returned a null model for '{context.Module.Name.Path}/{context.Method}'; return next to leave it unchanged.");
        return WithInterceptors(x => x.MethodInterceptors, (x, m) => x with { MethodInterceptors = m }, interceptors.GetRange(0, i), result);
    }
}
