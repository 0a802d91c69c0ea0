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
    /// <example><code>Model&lt;Tensor> passThrough = Hk.Pure(x);   // no parameters, no state: just a value</code></example>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="value">The value.</param>
    /// <returns>The model.</returns>
    public static Model<T> Pure<T>(T value) => ModelOps.Pure(value);

    /// <summary>A model that reads the current frame (for the core's own tooling and tests).</summary>
    internal static Model<Frame> GetFrame() => ModelOps.GetFrame();

    /// <summary>The current scope path, e.g. <c>~/MLP_0/__call__</c>.</summary>
    /// <example><code>
    /// from scope in Hk.CurrentScope()
    /// select scope   // "~" at the top, "~/MLP_0/__call__" inside MLP's Call
    /// </code></example>
    /// <returns>A model producing the path.</returns>
    public static Model<string> CurrentScope() => ModelOps.Read(static f => f.CurrentScope.Path);

    /// <summary>
    /// Every parameter known at this point (Haiku's <c>hk.get_params</c>): during <c>Init</c>, those created
    /// so far; during <c>Apply</c>, all those given. Keys are full paths.
    /// </summary>
    /// <example><code>
    /// from ps in Hk.GetParams()   // those created so far during Init, all those given during Apply
    /// select ps.Count
    /// </code></example>
    /// <returns>A model producing the parameters.</returns>
    public static Model<Params> GetParams() => ModelOps.Read(static f => f.Params);

    /// <summary>The current value of every state (Haiku's <c>hk.get_current_state</c>), keyed by full path.</summary>
    /// <example><code>
    /// from s in Hk.GetCurrentState()
    /// select s.Keys.ToList()   // e.g. ["~/BatchNorm_0/__call__/mean_ema/average", …]
    /// </code></example>
    /// <returns>A model producing the state.</returns>
    public static Model<Params> GetCurrentState() => ModelOps.Read(static f => f.State);

    /// <summary>
    /// The first value each state took during <c>Init</c> (Haiku's <c>hk.get_initial_state</c>); empty during
    /// <c>Apply</c>.
    /// </summary>
    /// <example><code>
    /// from s0 in Hk.GetInitialState()   // empty during Apply
    /// select s0.Count
    /// </code></example>
    /// <returns>A model producing the initial state.</returns>
    public static Model<Params> GetInitialState() => ModelOps.Read(static f => f.InitialState);

    /// <summary>
    /// The key the run's key sequence splits from next, or null when the caller gave none (Haiku's
    /// <c>hk.maybe_get_rng_sequence_state</c>); draws nothing. Replace the sequence with <see cref="WithRng{T}"/>.
    /// </summary>
    /// <example><code>
    /// from k in Hk.MaybeGetRngSequenceState()   // draws nothing
    /// from y in Hk.WithRng(k, f(x))             // f sees the same keys as the code after it
    /// select y
    /// </code></example>
    /// <returns>A model producing the key or null.</returns>
    public static Model<RngKey?> MaybeGetRngSequenceState() => ModelOps.Read(static f => f.Rng);

    /// <summary>
    /// Gets the parameter <paramref name="name"/> of the current scope: created with
    /// <paramref name="init"/> during <c>Init</c>, read from the given <see cref="Params"/> during
    /// <c>Apply</c>. Its path is <c>{current scope}/{name}</c>.
    /// </summary>
    /// <example><code>
    /// from w in Hk.GetParam("w", [x.shape[^1], width], Initializers.TruncatedNormal(0.02))
    /// from b in Hk.GetParam("b", [width], Initializers.Zeros())
    /// select x.matmul(w) + b   // parameters {scope}/w and {scope}/b
    /// </code></example>
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

    /// <summary>
    /// True when a parameter access in <paramref name="frame"/> is the plain lookup or creation of
    /// <see cref="GetParamStep(Frame, string, long[], Initializer, ScalarType?)"/>: no custom getter or creator is installed and the run is not under <c>Hk.EvalShape</c>.
    /// </summary>
    internal static bool PlainParamAccess(Frame frame)
    {
        var x = frame.Extras;
        return x.Getters.IsEmpty && x.Creators.IsEmpty && !x.Meta;
    }

    internal static (Tensor Value, Frame Frame) GetParamStep(Frame frame, string name, long[]? shape, Initializer? init, ScalarType? dtype) =>
        GetParamStep(frame, name, shape is not null, shape, shape, init, dtype);

    /// <summary>
    /// <see cref="GetParamStep(Frame, string, long[], Initializer, ScalarType?)"/> with the shape in a span (e.g. on the
    /// caller's stack): an array is made only to create the parameter or to report a mismatch.
    /// </summary>
    internal static (Tensor Value, Frame Frame) GetParamStep(Frame frame, string name, ReadOnlySpan<long> shape, Initializer? init, ScalarType? dtype) =>
        GetParamStep(frame, name, true, shape, null, init, dtype);

    private static (Tensor Value, Frame Frame) GetParamStep(Frame frame, string name, bool hasShape, ReadOnlySpan<long> shapeSpan, long[]? shapeArray, Initializer? init, ScalarType? dtype)
    {
        var scope = frame.CurrentScope.Path;
        Naming.ValidateLeafName(name, scope, "parameter");
        if (!frame.IsInitializing)
        {
            // The path is assembled in a stack buffer and looked up as a span: a string is made only for an error.
            var length = scope.Length + 1 + name.Length;
            Span<char> buffer = length <= 512 ? stackalloc char[length] : new char[length];
            scope.CopyTo(buffer);
            buffer[scope.Length] = '/';
            name.CopyTo(buffer[(scope.Length + 1)..]);
            var parameters = frame.Params;
            if (!parameters.TryGetEntry(buffer, out var entry))
                throw new MissingParameterException(buffer.ToString(), parameters.Nearest(buffer.ToString()));
            if (entry.Tensor.IsInvalid) throw new DisposedTensorException($"parameter '{buffer.ToString()}'");
            if (hasShape && !ShapeText.SameShape(entry.Shape, shapeSpan))
                throw new ShapeMismatchException(buffer.ToString(), shapeArray ?? shapeSpan.ToArray(), entry.Shape);
            if (dtype is { } requested && entry.DType != requested)
                throw new DTypeMismatchException(buffer.ToString(), requested, entry.DType);
            // The read is recorded in the run's log (O(1)); the frame itself is unchanged.
            frame.Run.Reads?.Record(parameters, entry.Index, buffer);
            return (entry.Tensor, frame);
        }

        var path = scope + "/" + name;
        var shape = hasShape ? shapeArray ?? shapeSpan.ToArray() : null;
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
        // The NaN/infinity scan is a full pass over the parameter; the library's bounded initializers skip it.
        if (!Internal.BoundedInitializer.ProducesFinite(init, shape, dtype) && value.is_floating_point() && !torch.isfinite(value).all().item<bool>())
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
    /// <example><code>
    /// var scaled = from s in Hk.Module(n => new Scale(n), name: "gain")   // ~/gain, or ~/Scale_0 without a name
    ///              from h in s.Call(x)
    ///              select h;
    /// record Scale(ModuleName Name) : Module(Name)
    /// {
    ///     public Model&lt;Tensor> Call(Tensor x) => Method(from g in Hk.GetParam("g", [x.shape[^1]], Initializers.Ones()) select x * g);
    /// }
    /// </code></example>
    /// <param name="name">An explicit name matching <c>^[A-Za-z_][A-Za-z0-9_]*$</c>, or null.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="ModuleNameException">The name is invalid or already used in this scope invocation.</exception>
    public static Model<TModule> Module<TModule>(Func<ModuleName, TModule> create, string? name = null) where TModule : Module
    {
        ArgumentNullException.ThrowIfNull(create);
        return ModelOps.Lift(new ModulePrimitive<TModule>(create, name));
    }

    /// <summary>
    /// <see cref="Module{TModule}(Func{ModuleName, TModule}, string?)"/> for a library layer whose constructor arguments
    /// travel as <paramref name="args"/> to a static <paramref name="create"/>: one object per call, where a capturing
    /// lambda costs a closure and a delegate as well (a tiny model's Apply creates its modules on every call).
    /// </summary>
    internal static Model<TModule> Module<TModule, TArgs>(TArgs args, Func<ModuleName, TArgs, TModule> create, string? name) where TModule : Module =>
        ModelOps.Lift(new ModuleWithArgsPrimitive<TModule, TArgs>(args, create, name));

    /// <summary>Creates one module from its arguments.</summary>
    private sealed class ModuleWithArgsPrimitive<TModule, TArgs>(TArgs args, Func<ModuleName, TArgs, TModule> create, string? name) : Primitive<TModule> where TModule : Module
    {
        public override (TModule Value, Frame Frame) Run(Frame frame)
        {
            var (moduleName, next) = Naming.ReserveName(frame, Naming.TypeName<TModule>.Value, name, Naming.TypeName<TModule>.Numbered);
            return (create(moduleName, args), next);
        }
    }

    /// <summary>Creates one module: a single object per call holding its arguments.</summary>
    private sealed class ModulePrimitive<TModule>(Func<ModuleName, TModule> create, string? name) : Primitive<TModule> where TModule : Module
    {
        public override (TModule Value, Frame Frame) Run(Frame frame)
        {
            var (moduleName, next) = Naming.ReserveName(frame, Naming.TypeName<TModule>.Value, name, Naming.TypeName<TModule>.Numbered);
            return (create(moduleName), next);
        }
    }

    /// <summary>
    /// Turns a model function into a pair of pure functions, <c>Init(seed, input) -> Params</c> and
    /// <c>Apply(params, input) -> output</c>.
    /// </summary>
    /// <example><code>
    /// var net = Hk.Transform((Tensor x) =>
    ///     from mlp in MLP.Create([128, 10])
    ///     from logits in mlp.Call(x)
    ///     select logits);
    /// Params p = net.Init(seed: 42, x);   // creates every parameter
    /// Tensor y = net.Apply(p, x);         // reads them; creates and mutates nothing
    /// </code></example>
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
    /// <example><code>
    /// var counter = Hk.TransformWithState((Tensor x) =>
    ///     from n in Hk.GetState("calls", [], Initializers.Zeros())
    ///     from _ in Hk.SetState("calls", n + 1)
    ///     select x);
    /// var (p, state) = counter.Init(seed: 0, x);
    /// var (y, newState) = counter.Apply(p, state, x);   // newState["~/calls"] is 1
    /// </code></example>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The output type.</typeparam>
    /// <param name="f">The model, as a function of its input.</param>
    /// <returns>The transformed model.</returns>
    public static TransformedWithState<TIn, TOut> TransformWithState<TIn, TOut>(Func<TIn, Model<TOut>> f) => new(f);

    /// <summary>True during <c>Init</c>, false during <c>Apply</c> (Haiku's <c>running_init</c>).</summary>
    /// <example><code>
    /// from initializing in Hk.RunningInit()
    /// select initializing ? "Init: creating parameters" : "Apply: reading parameters"
    /// </code></example>
    /// <returns>A model producing the flag.</returns>
    public static Model<bool> RunningInit() => ModelOps.Read(static f => f.IsInitializing);

    internal static Model<ImmutableList<T>> SequenceCore<T>(IEnumerable<Model<T>> models) =>
        FoldCore(models, ImmutableList<T>.Empty, (acc, m) => m.Select(acc.Add), resetNames: false);
}
