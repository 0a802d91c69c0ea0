using MiniHaiku.Internal;
using System.Collections.Immutable;

namespace MiniHaiku;

/// <summary>
/// Several apply functions over one shared parameter set, made by
/// <see cref="Hk.MultiTransform{TFns}"/> (Haiku's <c>multi_transform</c>): e.g. an encoder and a
/// decoder of one autoencoder. <see cref="Init(long)"/> runs the template once and returns the union of
/// every parameter the functions create; <c>Apply</c>
/// runs one of them, reading only its own parameters.
/// </summary>
/// <typeparam name="TFns">What the template returns: the functions (e.g. a tuple or record of <c>Func&lt;TIn, Model&lt;TOut&gt;&gt;</c>) and a model that uses all of them.</typeparam>
public sealed class MultiTransformed<TFns>
{
    private readonly Func<Model<(TFns Functions, Model<object?> InitAll)>> template;
    private readonly bool withState;

    internal MultiTransformed(Func<Model<(TFns Functions, Model<object?> InitAll)>> template, bool withState)
    {
        this.template = template;
        this.withState = withState;
    }

    /// <summary>Creates every parameter by running the template's initialisation model (which should use every function).</summary>
    /// <example><code>var p = ae.Init(seed: 0);   // ae = Hk.MultiTransform(…) as in its example: runs InitAll once</code></example>
    /// <param name="seed">Determines every parameter's value, together with its path.</param>
    /// <returns>The union of the parameters of all the functions.</returns>
    public Params Init(long seed) => InitWithState(RngKey.FromSeed(seed)).Params;

    /// <summary>Creates every parameter and state by running the template's initialisation model.</summary>
    /// <example><code>var (p, state) = ae.InitWithState(RngKey.FromSeed(0));   // ae = Hk.MultiTransformWithState(…)</code></example>
    /// <param name="key">Determines every initial value, together with its path.</param>
    /// <returns>The union of the parameters and initial state of all the functions.</returns>
    public (Params Params, Params State) InitWithState(RngKey key)
    {
        using var temporaries = RunTemporaries.Open(); // what the run makes and does not return is freed, as in Transformed
        var model = template().SelectMany(t => t.InitAll);
        var frame = model.Run(Frame.ForInit(key, withState)).Frame;
        RunTemporaries.Keep(temporaries, null, frame.Params, frame.State, frame.InitialState);
        return (frame.Params, frame.InitialState);
    }

    /// <summary>Creates every parameter and state by running the template's initialisation model.</summary>
    /// <param name="seed">Determines every initial value, together with its path.</param>
    /// <returns>The parameters and initial state.</returns>
    public (Params Params, Params State) InitWithState(long seed) => InitWithState(RngKey.FromSeed(seed));

    /// <summary>
    /// Runs one of the functions, reading <paramref name="parameters"/> (which may hold the parameters of
    /// the other functions too: only the chosen function's reads are required).
    /// </summary>
    /// <example><code>Tensor z = ae.Apply(fns => fns.Encode, p, x);   // run one of the functions alone</code></example>
    /// <typeparam name="TIn">The function's input type.</typeparam>
    /// <typeparam name="TOut">The function's output type.</typeparam>
    /// <param name="select">Picks the function, e.g. <c>fns =&gt; fns.Decode</c>.</param>
    /// <param name="parameters">The parameters from <see cref="Init(long)"/>.</param>
    /// <param name="input">The input.</param>
    /// <param name="key">A key for <see cref="Hk.NextRngKey"/>, or null.</param>
    /// <returns>The output.</returns>
    public TOut Apply<TIn, TOut>(Func<TFns, Func<TIn, Model<TOut>>> select, Params parameters, TIn input, RngKey? key = null) =>
        ApplyWithState(select, parameters, Params.Empty, input, key).Output;

    /// <summary>Like <see cref="Apply{TIn, TOut}(Func{TFns, Func{TIn, Model{TOut}}}, Params, TIn, RngKey?)"/>, taking and returning state.</summary>
    /// <example><code>var (z, newState) = ae.ApplyWithState(fns => fns.Encode, p, state, x);</code></example>
    /// <typeparam name="TIn">The function's input type.</typeparam>
    /// <typeparam name="TOut">The function's output type.</typeparam>
    /// <param name="select">Picks the function.</param>
    /// <param name="parameters">The parameters.</param>
    /// <param name="state">The state.</param>
    /// <param name="input">The input.</param>
    /// <param name="key">A key for <see cref="Hk.NextRngKey"/>, or null.</param>
    /// <returns>The output and the new state.</returns>
    public (TOut Output, Params State) ApplyWithState<TIn, TOut>(Func<TFns, Func<TIn, Model<TOut>>> select, Params parameters, Params state, TIn input, RngKey? key = null)
    {
        ArgumentNullException.ThrowIfNull(select);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(state);
        using var temporaries = RunTemporaries.Open();
        var model = template().SelectMany(t => select(t.Functions)(input));
        var (value, frame) = model.Run(Frame.ForApply(parameters, state, key, withState));
        RunTemporaries.Keep(temporaries, value, null, frame.State);
        return (value, frame.State);
    }
}

/// <summary>
/// A transformed model viewed without its <c>Apply</c> key (Haiku's <c>without_apply_rng</c>), without
/// state (<c>without_state</c>) or with empty state (<c>with_empty_state</c>): adapters between the
/// <see cref="Transformed{TIn, TOut}"/> and <see cref="TransformedWithState{TIn, TOut}"/> signatures.
/// </summary>
public static class TransformAdapters
{
    /// <summary>
    /// <c>Apply</c> without a key (Haiku's <c>without_apply_rng</c>): MiniHaiku's <c>Apply(params, input)</c>
    /// already takes none; this checks it, running <paramref name="transformed"/> with no key so a model that
    /// draws one fails with <see cref="MissingRngException"/>.
    /// </summary>
    /// <example><code>
    /// var (init, apply) = net.WithoutApplyRng();   // Apply without a key parameter
    /// Tensor y = apply(init(0, x), x);
    /// </code></example>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The output type.</typeparam>
    /// <param name="transformed">The transformed model.</param>
    /// <returns>(init, apply) functions with no key in <c>apply</c>.</returns>
    public static (Func<long, TIn, Params> Init, Func<Params, TIn, TOut> Apply) WithoutApplyRng<TIn, TOut>(this Transformed<TIn, TOut> transformed)
    {
        ArgumentNullException.ThrowIfNull(transformed);
        return (transformed.Init, transformed.Apply);
    }

    /// <summary>
    /// A stateful transformed model as a stateless one (Haiku's <c>without_state</c>): <c>Init</c> returns
    /// only the parameters and <c>Apply</c> only the output. The model must not need state.
    /// </summary>
    /// <example><code>Transformed&lt;(Tensor X, bool IsTraining), Tensor> plain = netWithState.WithoutState();   // for a model that sets no state</code></example>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The output type.</typeparam>
    /// <param name="transformed">The stateful transformed model.</param>
    /// <returns>A plain transformed model; using state raises <see cref="StatefulTransformRequiredException"/>.</returns>
    public static Transformed<TIn, TOut> WithoutState<TIn, TOut>(this TransformedWithState<TIn, TOut> transformed)
    {
        ArgumentNullException.ThrowIfNull(transformed);
        return Hk.Transform(transformed.Function);
    }

    /// <summary>
    /// A stateless transformed model with the stateful signature (Haiku's <c>with_empty_state</c>): <c>Init</c>
    /// returns empty state and <c>Apply</c> takes and returns it.
    /// </summary>
    /// <example><code>var (p, state) = net.WithEmptyState().Init(seed: 0, x);   // state is empty; fits code that expects (params, state)</code></example>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The output type.</typeparam>
    /// <param name="transformed">The plain transformed model.</param>
    /// <returns>A stateful transformed model whose state stays empty.</returns>
    public static TransformedWithState<TIn, TOut> WithEmptyState<TIn, TOut>(this Transformed<TIn, TOut> transformed)
    {
        ArgumentNullException.ThrowIfNull(transformed);
        var f = transformed.Function;
        var t = Hk.TransformWithState<TIn, TOut>(x => Scoping.WithoutStateAccess(f(x)));
        return transformed.UnusedParamsAllowed ? t.AllowUnusedParams() : t;
    }
}

public static partial class Hk
{
    /// <summary>
    /// Transforms a template that builds several functions over shared modules (Haiku's
    /// <c>multi_transform</c>): the template returns the functions and a model that uses all of them
    /// (run by <c>Init</c> so that every parameter exists). Each function may then be applied alone.
    /// </summary>
    /// <typeparam name="TFns">The functions (a tuple or record).</typeparam>
    /// <param name="template">Creates the shared modules and returns (functions, a model that runs every function once).</param>
    /// <returns>The multi-transformed model.</returns>
    /// <example><code>
    /// var ae = Hk.MultiTransform(() =&gt;
    ///     from enc in Linear.Create(2, name: "enc")
    ///     from dec in Linear.Create(3, name: "dec")
    ///     let fns = (Encode: (Func&lt;Tensor, Model&lt;Tensor&gt;&gt;)enc.Call, Decode: (Func&lt;Tensor, Model&lt;Tensor&gt;&gt;)dec.Call)
    ///     select (fns, Hk.InitAll(fns.Encode(torch.ones(1, 3)).SelectMany(z =&gt; fns.Decode(z)))));
    /// var p = ae.Init(0);
    /// var z = ae.Apply(f =&gt; f.Encode, p, x);
    /// </code></example>
    public static MultiTransformed<TFns> MultiTransform<TFns>(Func<Model<(TFns Functions, Model<object?> InitAll)>> template)
    {
        ArgumentNullException.ThrowIfNull(template);
        return new(template, withState: false);
    }

    /// <summary>Like <see cref="MultiTransform{TFns}"/> for functions that use state (Haiku's <c>multi_transform_with_state</c>).</summary>
    /// <example><code>
    /// var m = Hk.MultiTransformWithState(() =>
    ///     from bn in BatchNorm.Create(name: "bn")
    ///     let fns = (Train: (Func&lt;Tensor, Model&lt;Tensor>>)(x => bn.Call(x, isTraining: true)), Eval: (Func&lt;Tensor, Model&lt;Tensor>>)(x => bn.Call(x, isTraining: false)))
    ///     select (fns, Hk.InitAll(fns.Train(ones(2, 3)))));
    /// var (p, state) = m.InitWithState(seed: 0);
    /// </code></example>
    /// <typeparam name="TFns">The functions.</typeparam>
    /// <param name="template">Creates the shared modules and returns (functions, a model that runs every function once).</param>
    /// <returns>The multi-transformed model; use <c>InitWithState</c> and <c>ApplyWithState</c>.</returns>
    public static MultiTransformed<TFns> MultiTransformWithState<TFns>(Func<Model<(TFns Functions, Model<object?> InitAll)>> template)
    {
        ArgumentNullException.ThrowIfNull(template);
        return new(template, withState: true);
    }

    /// <summary>Forgets a model's value: the "use every function once" model a <see cref="MultiTransform{TFns}"/> template returns.</summary>
    /// <example><code>Hk.InitAll(fns.Encode(x).SelectMany(z => fns.Decode(z)))   // the "run everything once" model of a MultiTransform template</code></example>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="model">The model.</param>
    /// <returns>The model with its value boxed.</returns>
    public static Model<object?> InitAll<T>(Model<T> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Select(v => (object?)v);
    }
}
