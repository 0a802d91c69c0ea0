using System.Collections.Immutable;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku;

/// <summary>
/// The MiniHaiku entry points: ask for parameters and state, create modules, draw random keys, write
/// control flow that initialises correctly, and <see cref="Transform{TIn, TOut}"/> a model into a pair
/// of pure functions.
/// </summary>
public static partial class Hk
{
    /// <summary>A model that produces <paramref name="value"/> and leaves the frame unchanged.</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="value">The value.</param>
    /// <returns>The model.</returns>
    public static Model<T> Pure<T>(T value) => new(new Step.Pure(value));

    /// <summary>A model that reads the current frame (for tooling and tests).</summary>
    /// <returns>The frame at this point of the computation.</returns>
    public static Model<Frame> GetFrame() => new(new Step.Prim(f => (f, f)));

    /// <summary>The current scope path, e.g. <c>~/MLP_0/__call__</c>.</summary>
    /// <returns>A model producing the path.</returns>
    public static Model<string> CurrentScope() => new(new Step.Prim(f => (f.CurrentScope.Path, f)));

    /// <summary>
    /// Gets the parameter <paramref name="name"/> of the current scope: created with
    /// <paramref name="init"/> during <c>Init</c>, read from the given <see cref="Params"/> during
    /// <c>Apply</c>. Its path is <c>{current scope}/{name}</c>.
    /// </summary>
    /// <param name="name">The parameter's name within its scope (no <c>/</c>).</param>
    /// <param name="shape">Its shape; null only when the parameter must already exist.</param>
    /// <param name="init">How to create it; default standard normal (<see cref="Initializers.RandomNormal"/>).</param>
    /// <param name="dtype">Its element type; default <see cref="ScalarType.Float32"/>.</param>
    /// <returns>A model producing the parameter tensor.</returns>
    /// <exception cref="MissingParameterException">During <c>Apply</c>, the path is not in the parameters.</exception>
    /// <exception cref="ShapeMismatchException">The stored shape differs from <paramref name="shape"/>.</exception>
    /// <exception cref="MissingShapeException">During <c>Init</c>, no shape was given for a new parameter.</exception>
    /// <exception cref="DTypeMismatchException">A <paramref name="dtype"/> was given and the stored value has another.</exception>
    /// <exception cref="DisposedTensorException">The stored value was disposed.</exception>
    public static Model<Tensor> GetParam(string name, long[]? shape, Initializer? init = null, ScalarType? dtype = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var shapeCopy = shape?.ToArray();
        return GetParamIntercepted(name, shapeCopy, init, dtype);
    }

    /// <summary>Gets an existing parameter without stating its shape (it must already exist).</summary>
    /// <param name="name">The parameter's name within its scope.</param>
    /// <returns>A model producing the parameter tensor.</returns>
    public static Model<Tensor> GetParam(string name) => GetParam(name, null);

    private static (object?, Frame) GetParamStep(Frame frame, string name, long[]? shape, Initializer? init, ScalarType? dtype)
    {
        var scope = frame.CurrentScope.Path;
        ValidateLeafName(name, scope, "parameter");
        var path = scope + "/" + name;
        if (!frame.IsInitializing)
        {
            if (!frame.Params.TryGetEntry(path, out var entry))
                throw new MissingParameterException(path, frame.Params.Nearest(path));
            TensorChecks.RequireAlive(entry.Tensor, $"parameter '{path}'");
            if (shape is not null && !ShapeText.SameShape(entry.Shape, shape))
                throw new ShapeMismatchException(path, shape, entry.Shape);
            if (dtype is { } requested && entry.DType != requested)
                throw new DTypeMismatchException(path, requested, entry.DType);
            return (entry.Tensor, frame with { ReadParams = frame.ReadParams.Add(path) });
        }

        if (frame.Params.TryGetValue(path, out var existing))
        {
            var existingShape = existing.shape;
            if (shape is not null && !ShapeText.SameShape(existingShape, shape))
                throw new ShapeMismatchException(path, shape, existingShape,
                    "The same parameter was requested twice with different shapes; a reused module must be called on inputs of the same size.");
            if (dtype is { } requested && existing.dtype != requested)
                throw new DTypeMismatchException(path, requested, existing.dtype,
                    $"DType mismatch for '{path}': it was created as {existing.dtype} and is now requested as {requested}; a reused module must be called on inputs of the same dtype.");
            return (existing, frame);
        }
        if (shape is null) throw new MissingShapeException(path);
        var value = CreateInitial(path, shape, init ?? Initializers.RandomNormal(), dtype ?? ScalarType.Float32, frame.InitKey, frame.Device);
        return (value, frame with { Params = frame.Params.With(path, value) });
    }

    internal static Tensor CreateInitial(string path, long[] shape, Initializer init, ScalarType dtype, RngKey initKey, Device? device = null)
    {
        if (shape.Any(d => d < 0))
            throw new InitializerException(path, $"was asked for the negative shape {ShapeText.Format(shape)}.");
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        using var generator = initKey.Fold(path).CreateGenerator();
        Tensor value;
        try
        {
            value = init(shape, dtype, generator) ?? throw new InitializerException(path, "returned null.");
        }
        catch (Exception e) when (e is not MiniHaikuException || e is InitializerConfigurationException)
        {
            throw new InitializerException(path, $"failed for shape {ShapeText.Format(shape)} and dtype {dtype}: {FirstLine(e.Message)}", e);
        }
        if (value.IsInvalid) throw new InitializerException(path, "returned a disposed tensor.");
        if (value.dtype != dtype)
            throw new InitializerException(path, $"returned dtype {value.dtype} but {dtype} was requested (shape {ShapeText.Format(shape)}). Make the initializer honour its dtype argument.");
        var got = value.shape;
        if (!ShapeText.SameShape(got, shape))
            throw new InitializerException(path, $"returned shape {ShapeText.Format(got)} but {ShapeText.Format(shape)} was requested.");
        if (value.is_floating_point() && !torch.isfinite(value).all().item<bool>())
            throw new InitializerException(path, $"produced non-finite values (NaN or infinity) for shape {ShapeText.Format(shape)}. Check its scale and the fan-in/fan-out of this shape.");
        if (device is not null && (value.device_type != device.type || value.device_index != device.index)) value = value.to(device);
        return value.MoveToOuterDisposeScope();
    }

    /// <summary>The first line of a (possibly multi-line, C++-backtrace-carrying) libtorch message.</summary>
    internal static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        return (end < 0 ? message : message[..end]).TrimEnd();
    }

    /// <summary>
    /// Creates a module instance with a unique name in the current scope: <paramref name="name"/> if
    /// given, else <c>{TypeName}_{n}</c> where n counts this type's modules in this scope invocation.
    /// </summary>
    /// <typeparam name="TModule">The module type.</typeparam>
    /// <param name="create">Builds the module from its name.</param>
    /// <param name="name">An explicit name matching <c>^[A-Za-z_][A-Za-z0-9_]*$</c>, or null.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="ModuleNameException">The name is invalid or already used in this scope invocation.</exception>
    public static Model<TModule> Module<TModule>(Func<ModuleName, TModule> create, string? name = null) where TModule : Module
    {
        ArgumentNullException.ThrowIfNull(create);
        return new(new Step.Prim(frame =>
        {
            var (moduleName, next) = ReserveName(frame, TypeName<TModule>.Value, name);
            return (create(moduleName), next);
        }));
    }

    internal static (ModuleName Name, Frame Frame) ReserveName(Frame frame, string typeName, string? explicitName)
    {
        var scope = frame.CurrentScope;
        string chosen;
        var counters = scope.Counters;
        if (explicitName is null)
        {
            var n = scope.Counters.GetValueOrDefault(typeName);
            do chosen = typeName + "_" + n++;
            while (scope.Names.Contains(chosen));
            counters = counters.SetItem(typeName, n);
        }
        else
        {
            if (!IsValidModuleName(explicitName))
                throw new ModuleNameException(
                    $"Invalid module name '{explicitName}' in scope '{scope.Path}': names must match ^[A-Za-z_][A-Za-z0-9_]*$ (letters, digits, underscores; not starting with a digit).",
                    explicitName, scope.Path);
            if (scope.Names.Contains(explicitName))
                throw new ModuleNameException(
                    $"Duplicate module name '{explicitName}' in scope '{scope.Path}': another module created in this same call already has it. Give each module a distinct name, or omit the name to get {typeName}_n.",
                    explicitName, scope.Path);
            chosen = explicitName;
        }
        var next = frame.WithScope(scope with { Counters = counters, Names = scope.Names.Add(chosen) });
        return (new ModuleName(chosen, scope.Path + "/" + chosen), next);
    }

    internal static bool IsValidModuleName(string name)
    {
        if (name.Length == 0 || !(char.IsAsciiLetter(name[0]) || name[0] == '_')) return false;
        foreach (var c in name)
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_')) return false;
        return true;
    }

    internal static void ValidateLeafName(string name, string scope, string kind)
    {
        if (name.Length == 0 || name.Contains('/'))
            throw new ParameterNameException(
                $"Invalid {kind} name '{name}' in scope '{scope}': a name must be non-empty and must not contain '/'. Scopes come from modules, not from names.",
                name, scope);
    }

    /// <summary>
    /// Runs a module method's <paramref name="body"/> in a fresh scope invocation at
    /// <c>{modulePath}/{method}</c>, recording the call when <see cref="Frame.MethodCalls"/> is on.
    /// </summary>
    internal static Step MethodScoped(string modulePath, string method, object? input, Step body)
    {
        var path = modulePath + "/" + method;
        return new Step.Bind(
            new Step.Prim(f =>
            {
                var pushed = f with { Scopes = f.Scopes.Push(Scope.Fresh(path)) };
                if (f.MethodCalls is not { } calls) return (-1, pushed);
                var depth = 0;
                foreach (var c in calls) if (!c.Completed) depth++;
                var call = new MethodCall(modulePath, method, depth, input is null ? null : ValueShapes.Describe(input), null);
                return (calls.Count, pushed with { MethodCalls = calls.Add(call) });
            }),
            index => new Step.Bind(body, v => new Step.Prim(f =>
            {
                var popped = f with { Scopes = f.Scopes.Pop() };
                if (f.MethodCalls is not { } calls || (int)index! < 0) return (v, popped);
                var i = (int)index!;
                return (v, popped with { MethodCalls = calls.SetItem(i, calls[i] with { Output = ValueShapes.Describe(v) }) });
            })));
    }

    /// <summary>Runs <paramref name="body"/> in a fresh scope invocation at <paramref name="path"/>.</summary>
    internal static Step Scoped(string path, Step body) =>
        new Step.Bind(
            new Step.Prim(f => (null, f with { Scopes = f.Scopes.Push(Scope.Fresh(path)) })),
            _ => new Step.Bind(body, v => new Step.Prim(f => (v, f with { Scopes = f.Scopes.Pop() }))));

    private static class TypeName<M>
    {
        public static readonly string Value = Clean(typeof(M).Name);

        private static string Clean(string name)
        {
            var tick = name.IndexOf('`');
            return tick < 0 ? name : name[..tick];
        }
    }

    /// <summary>
    /// Turns a model function into a pair of pure functions, <c>Init(seed, input) -> Params</c> and
    /// <c>Apply(params, input) -> output</c>.
    /// </summary>
    /// <typeparam name="TIn">The input type (use a tuple or record for several inputs).</typeparam>
    /// <typeparam name="TOut">The output type.</typeparam>
    /// <param name="f">The model, as a function of its input.</param>
    /// <returns>The transformed model.</returns>
    public static Transformed<TIn, TOut> Transform<TIn, TOut>(Func<TIn, Model<TOut>> f) => new(f);

    /// <summary>
    /// Like <see cref="Transform{TIn, TOut}"/> for models that use state (<see cref="GetState"/>,
    /// <see cref="SetState"/>): <c>Init</c> returns parameters and initial state, <c>Apply</c> takes and
    /// returns the state.
    /// </summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The output type.</typeparam>
    /// <param name="f">The model, as a function of its input.</param>
    /// <returns>The transformed model.</returns>
    public static TransformedWithState<TIn, TOut> TransformWithState<TIn, TOut>(Func<TIn, Model<TOut>> f) => new(f);

    /// <summary>True during <c>Init</c>, false during <c>Apply</c> (Haiku's <c>running_init</c>).</summary>
    /// <returns>A model producing the flag.</returns>
    public static Model<bool> RunningInit() => new(new Step.Prim(f => (f.IsInitializing, f)));

    internal static Model<ImmutableList<T>> SequenceCore<T>(IEnumerable<Model<T>> models) =>
        FoldCore(models, ImmutableList<T>.Empty, (acc, m) => m.Select(acc.Add), resetNames: false);
}
