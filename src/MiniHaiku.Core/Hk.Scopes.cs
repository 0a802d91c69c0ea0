using System.Collections.Immutable;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku;

public static partial class Hk
{
    /// <summary>
    /// Runs <paramref name="body"/> in a named scope without creating a module (Haiku's <c>name_scope</c>):
    /// its parameters live at <c>{current scope}/{name}/…</c>. A name with <c>/</c> opens nested scopes.
    /// Unlike a module name, the same scope may be opened several times in one call; it then shares its
    /// parameters (and its auto-names restart, as for a second call of a module).
    /// </summary>
    /// <example><code>Hk.NameScope("encoder", f(x))   // f's modules are named ~/encoder/…</code></example>
    /// <typeparam name="T">The body's value type.</typeparam>
    /// <param name="name">One or more valid names joined by <c>/</c>, e.g. <c>encoder/block</c>.</param>
    /// <param name="body">The computation.</param>
    /// <returns>The scoped computation.</returns>
    /// <exception cref="ModuleNameException">A part of <paramref name="name"/> is not a valid name.</exception>
    public static Model<T> NameScope<T>(string name, Model<T> body)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(body);
        foreach (var part in name.Split('/'))
            if (!Naming.IsValidModuleName(part))
                throw new ModuleNameException($"Invalid name scope '{name}': each part between '/' must match ^[A-Za-z_][A-Za-z0-9_]*$, but '{part}' does not.", name, "");
        return Scoping.InSubScope(name, body);
    }

    /// <summary>
    /// Creates a module whose path is exactly <paramref name="path"/> instead of a fresh name in the current
    /// scope (Haiku's <c>force_name</c>): calling it reuses the parameters of the module that lives there,
    /// e.g. to share an encoder created elsewhere. No name is reserved in the current scope.
    /// </summary>
    /// <typeparam name="TModule">The module type.</typeparam>
    /// <param name="create">Builds the module from its name (e.g. <c>n =&gt; new Linear(n, …)</c>).</param>
    /// <example><code>
    /// var shared = from s in Hk.ForceName(n => new Scale(n), "~/encoder")   // reuses ~/encoder/__call__/g
    ///              from h in s.Call(x)
    ///              select h;
    /// record Scale(ModuleName Name) : Module(Name)
    /// {
    ///     public Model&lt;Tensor> Call(Tensor x) => Method(from g in Hk.GetParam("g", [x.shape[^1]], Initializers.Ones()) select x * g);
    /// }
    /// </code></example>
    /// <param name="path">A full module path such as <c>~/encoder</c> (from another module's <c>Name.Path</c>).</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="ModuleNameException">The path does not start at <c>~</c> or its last part is invalid.</exception>
    public static Model<TModule> ForceName<TModule>(Func<ModuleName, TModule> create, string path) where TModule : Module
    {
        ArgumentNullException.ThrowIfNull(create);
        ArgumentNullException.ThrowIfNull(path);
        var slash = path.LastIndexOf('/');
        var last = slash < 0 ? "" : path[(slash + 1)..];
        if (!path.StartsWith(Frame.RootScope + "/", StringComparison.Ordinal) || !Naming.IsValidModuleName(last))
            throw new ModuleNameException($"Invalid forced module path '{path}': it must be a full path like '~/encoder' whose last part matches ^[A-Za-z_][A-Za-z0-9_]*$.", path, "");
        return ModelOps.Defer(() => Pure(create(new ModuleName(last, path))));
    }

    /// <summary>Like <see cref="Lift{TIn, TOut}(TransformedWithState{TIn, TOut}, string)"/>: the inner model's parameters and state appear under <c>{current scope}/{name}</c> (Haiku's <c>lift_with_state</c>).</summary>
    /// <example><code>
    /// from h in Hk.LiftWithState(netWithState, "body")((x, isTraining))   // its parameters and state under ~/body/…
    /// select h
    /// </code></example>
    /// <typeparam name="TIn">The inner input type.</typeparam>
    /// <typeparam name="TOut">The inner output type.</typeparam>
    /// <param name="inner">The stateful transformed model to embed.</param>
    /// <param name="name">The scope name for it.</param>
    /// <returns>A function from input to the lifted model.</returns>
    public static Func<TIn, Model<TOut>> LiftWithState<TIn, TOut>(TransformedWithState<TIn, TOut> inner, string name) => Lift(inner, name);

    /// <summary>
    /// Runs an independently defined transformed model inside this one without adding a scope (Haiku's
    /// <c>transparent_lift</c>): its parameter <c>~/X</c> becomes <c>{current scope}/X</c>, so at the top level
    /// the names are exactly the inner model's (e.g. to load a pretrained inner checkpoint unchanged).
    /// </summary>
    /// <example><code>
    /// from h in Hk.TransparentLift(net)(x)   // the inner parameters keep their own names (~/Linear_0/…)
    /// select h
    /// </code></example>
    /// <typeparam name="TIn">The inner input type.</typeparam>
    /// <typeparam name="TOut">The inner output type.</typeparam>
    /// <param name="inner">The transformed model to embed.</param>
    /// <returns>A function from input to the lifted model.</returns>
    public static Func<TIn, Model<TOut>> TransparentLift<TIn, TOut>(Transformed<TIn, TOut> inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        var f = inner.Function;
        return input => Scoping.WithoutStateAccess(Scoping.InSameScope(ModelOps.Defer(() => f(input))));
    }

    /// <summary>Like <see cref="TransparentLift{TIn, TOut}"/> for a stateful model (Haiku's <c>transparent_lift_with_state</c>).</summary>
    /// <example><code>
    /// from h in Hk.TransparentLiftWithState(netWithState)((x, isTraining))
    /// select h
    /// </code></example>
    /// <typeparam name="TIn">The inner input type.</typeparam>
    /// <typeparam name="TOut">The inner output type.</typeparam>
    /// <param name="inner">The stateful transformed model to embed.</param>
    /// <returns>A function from input to the lifted model.</returns>
    public static Func<TIn, Model<TOut>> TransparentLiftWithState<TIn, TOut>(TransformedWithState<TIn, TOut> inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        var f = inner.Function;
        return input => Scoping.InSameScope(ModelOps.Defer(() => f(input)));
    }

    /// <summary>
    /// The parameters of <paramref name="module"/> known at this point (Haiku's <c>module.params_dict()</c>):
    /// during <c>Init</c>, those created so far; during <c>Apply</c>, those given whose path is under the module.
    /// Keys are full paths.
    /// </summary>
    /// <example><code>
    /// from mlp in MLP.Create([width])
    /// from h in mlp.Call(x)
    /// from ps in Hk.ParamsDict(mlp)   // {'~/MLP_0/…/w': …, …}: this module's parameters so far
    /// select ps.Count
    /// </code></example>
    /// <param name="module">The module.</param>
    /// <returns>A model producing the parameters under <c>{module path}/</c>.</returns>
    public static Model<Params> ParamsDict(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var prefix = module.Name.Path + "/";
        return ModelOps.Read(f => f.Params.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)));
    }

    /// <summary>The current state of <paramref name="module"/> (Haiku's <c>module.state_dict()</c>), keyed by full path.</summary>
    /// <example><code>
    /// from bn in BatchNorm.Create()
    /// from h in bn.Call(x, isTraining)
    /// from s in Hk.StateDict(bn)   // the moving averages
    /// select h
    /// </code></example>
    /// <param name="module">The module.</param>
    /// <returns>A model producing the state under <c>{module path}/</c>.</returns>
    public static Model<Params> StateDict(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var prefix = module.Name.Path + "/";
        return ModelOps.Read(f => f.State.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)));
    }
}
