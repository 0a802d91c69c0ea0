using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku;

/// <summary>
/// A model turned into two pure functions by <see cref="Hk.Transform{TIn, TOut}"/>:
/// <see cref="Init(long, TIn)"/> creates every parameter, <see cref="Apply(Params, TIn)"/> runs the
/// model reading them. Neither touches global state; both may be called from many threads at once.
/// </summary>
/// <typeparam name="TIn">The input type.</typeparam>
/// <typeparam name="TOut">The output type.</typeparam>
public sealed class Transformed<TIn, TOut>
{
    internal Transformed(Func<TIn, Model<TOut>> function, bool allowUnusedParams = false)
    {
        ArgumentNullException.ThrowIfNull(function);
        Function = function;
        UnusedParamsAllowed = allowUnusedParams;
    }

    /// <summary>The model function this was made from (for <see cref="Hk.Lift{TIn, TOut}(Transformed{TIn, TOut}, string)"/>).</summary>
    public Func<TIn, Model<TOut>> Function { get; }

    /// <summary>Whether <c>Apply</c> accepts parameters the model never reads (false by default).</summary>
    public bool UnusedParamsAllowed { get; }

    /// <summary>A copy whose <c>Apply</c> accepts parameters the model never reads (e.g. a larger checkpoint).</summary>
    /// <example><code>Tensor y = net.AllowUnusedParams().Apply(p.With("~/ema/w", ones(3)), x);   // extra entries are ignored</code></example>
    /// <returns>The relaxed transformed model.</returns>
    public Transformed<TIn, TOut> AllowUnusedParams() => new(Function, allowUnusedParams: true);

    /// <summary>Creates every parameter by running the model once on <paramref name="input"/>.</summary>
    /// <example><code>Params p = net.Init(seed: 42, x);   // the same seed gives the same parameters, bit for bit</code></example>
    /// <param name="seed">Determines every parameter's value, together with its path.</param>
    /// <param name="input">An example input (shapes are inferred from it).</param>
    /// <returns>The parameters, keyed by path.</returns>
    public Params Init(long seed, TIn input) => Init(RngKey.FromSeed(seed), input);

    /// <summary>Creates every parameter by running the model once on <paramref name="input"/>.</summary>
    /// <param name="key">Determines every parameter's value, together with its path.</param>
    /// <param name="input">An example input.</param>
    /// <returns>The parameters, keyed by path.</returns>
    /// <remarks>Parameters are placed on the input's device when the input is a tensor, else on the CPU.</remarks>
    public Params Init(RngKey key, TIn input) => Init(key, input, null);

    /// <summary>Creates every parameter on <paramref name="device"/> by running the model once on <paramref name="input"/>.</summary>
    /// <param name="key">Determines every parameter's value, together with its path (not the device: values are the same everywhere).</param>
    /// <param name="input">An example input, already on <paramref name="device"/>.</param>
    /// <param name="device">Where to place the parameters; null follows the input when it is a tensor, else the CPU.</param>
    /// <returns>The parameters, keyed by path.</returns>
    /// <example><code>var p = net.Init(RngKey.FromSeed(0), x.to(torch.CUDA), torch.CUDA);</code></example>
    public Params Init(RngKey key, TIn input, Device? device) => TransformRun.Init(Function, key, input, device, withState: false).Params;

    /// <summary>Runs the model, reading <paramref name="parameters"/>. The model may not draw random keys.</summary>
    /// <example><code>Tensor y = net.Apply(p, x);   // pure: reads p, creates and mutates nothing</code></example>
    /// <param name="parameters">The result of <see cref="Init(long, TIn)"/> (or a checkpoint of it).</param>
    /// <param name="input">The input.</param>
    /// <returns>The output.</returns>
    /// <exception cref="MissingParameterException">A parameter the model asks for is not given.</exception>
    /// <exception cref="UnusedParametersException">Some given parameters were never read.</exception>
    /// <exception cref="MissingRngException">The model drew a random key.</exception>
    /// <remarks>
    /// Tensors the model makes and does not return (hidden activations) are disposed when <c>Apply</c> returns; the
    /// output's tensors join the caller's dispose scope. Nothing is disposed when the output holds objects other than
    /// tensors, <see cref="Params"/>, tuples, arrays and lists, or when it requires grad. Return a tensor (or call
    /// <c>DetachFromDisposeScope()</c> on it) to keep it. The same holds for <c>Init</c>, which keeps the parameters.
    /// </remarks>
    public TOut Apply(Params parameters, TIn input) => ApplyCore(parameters, input, null);

    /// <summary>Runs the model with a random key sequence from <paramref name="seed"/> (e.g. for dropout).</summary>
    /// <example><code>Tensor y = net.Apply(p, x, seed: step);   // a fresh dropout mask per step</code></example>
    /// <param name="parameters">The parameters.</param>
    /// <param name="input">The input.</param>
    /// <param name="seed">The seed for <see cref="Hk.NextRngKey"/>.</param>
    /// <returns>The output.</returns>
    public TOut Apply(Params parameters, TIn input, long seed) => ApplyCore(parameters, input, RngKey.FromSeed(seed));

    /// <summary>Runs the model with a random key sequence from <paramref name="key"/>.</summary>
    /// <param name="parameters">The parameters.</param>
    /// <param name="input">The input.</param>
    /// <param name="key">The key for <see cref="Hk.NextRngKey"/>.</param>
    /// <returns>The output.</returns>
    public TOut Apply(Params parameters, TIn input, RngKey key) => ApplyCore(parameters, input, key);

    private TOut ApplyCore(Params parameters, TIn input, RngKey? key) =>
        TransformRun.Apply(Function, parameters, Params.Empty, input, key, withState: false, UnusedParamsAllowed).Value;
}

/// <summary>
/// A stateful model turned into two pure functions by <see cref="Hk.TransformWithState{TIn, TOut}"/>:
/// <c>Init</c> returns parameters and initial state; <c>Apply</c> takes both and returns the output and
/// the new state. Parameters are frozen during <c>Apply</c>; state may change.
/// </summary>
/// <typeparam name="TIn">The input type.</typeparam>
/// <typeparam name="TOut">The output type.</typeparam>
public sealed class TransformedWithState<TIn, TOut>
{
    internal TransformedWithState(Func<TIn, Model<TOut>> function, bool allowUnusedParams = false)
    {
        ArgumentNullException.ThrowIfNull(function);
        Function = function;
        UnusedParamsAllowed = allowUnusedParams;
    }

    /// <summary>The model function this was made from.</summary>
    public Func<TIn, Model<TOut>> Function { get; }

    /// <summary>Whether <c>Apply</c> accepts parameters the model never reads (false by default).</summary>
    public bool UnusedParamsAllowed { get; }

    /// <summary>A copy whose <c>Apply</c> accepts parameters the model never reads.</summary>
    /// <example><code>var (y, s) = netWithState.AllowUnusedParams().Apply(p.With("~/ema/w", ones(3)), state, (x, false));</code></example>
    /// <returns>The relaxed transformed model.</returns>
    public TransformedWithState<TIn, TOut> AllowUnusedParams() => new(Function, allowUnusedParams: true);

    /// <summary>Creates every parameter and state by running the model once.</summary>
    /// <example><code>var (p, state) = netWithState.Init(seed: 0, (x, true));   // state: e.g. BatchNorm's moving averages</code></example>
    /// <param name="seed">Determines the initial values, together with each path.</param>
    /// <param name="input">An example input.</param>
    /// <returns>The parameters and the first value each state took.</returns>
    public (Params Params, Params State) Init(long seed, TIn input) => Init(RngKey.FromSeed(seed), input);

    /// <summary>Creates every parameter and state by running the model once.</summary>
    /// <param name="key">Determines the initial values, together with each path.</param>
    /// <param name="input">An example input.</param>
    /// <returns>The parameters and the first value each state took.</returns>
    /// <remarks>Parameters and state are placed on the input's device when the input is a tensor, else on the CPU.</remarks>
    public (Params Params, Params State) Init(RngKey key, TIn input) => Init(key, input, null);

    /// <summary>Creates every parameter and state on <paramref name="device"/> by running the model once.</summary>
    /// <param name="key">Determines the initial values, together with each path (not the device).</param>
    /// <param name="input">An example input, already on <paramref name="device"/>.</param>
    /// <param name="device">Where to place parameters and state; null follows the input when it is a tensor, else the CPU.</param>
    /// <returns>The parameters and the first value each state took.</returns>
    public (Params Params, Params State) Init(RngKey key, TIn input, Device? device)
    {
        var frame = TransformRun.Init(Function, key, input, device, withState: true);
        return (frame.Params, frame.InitialState);
    }

    /// <summary>Runs the model without random keys.</summary>
    /// <example><code>
    /// var (train, newState) = netWithState.Apply(p, state, (x, true));   // training updates the moving averages
    /// var (eval, _) = netWithState.Apply(p, newState, (x, false));
    /// </code></example>
    /// <param name="parameters">The parameters.</param>
    /// <param name="state">The state from <c>Init</c> or a previous <c>Apply</c>.</param>
    /// <param name="input">The input.</param>
    /// <returns>The output and the updated state.</returns>
    /// <remarks>
    /// Tensors the model makes and returns neither in its output nor in the state (hidden activations) are disposed when
    /// <c>Apply</c> returns, as for <see cref="Transformed{TIn, TOut}.Apply(Params, TIn)"/>; the output's and the new
    /// state's tensors join the caller's dispose scope. <c>Init</c> likewise keeps the parameters and the initial state.
    /// </remarks>
    public (TOut Output, Params State) Apply(Params parameters, Params state, TIn input) => ApplyCore(parameters, state, input, null);

    /// <summary>Runs the model with a random key sequence from <paramref name="seed"/>.</summary>
    /// <param name="parameters">The parameters.</param>
    /// <param name="state">The state.</param>
    /// <param name="input">The input.</param>
    /// <param name="seed">The seed for <see cref="Hk.NextRngKey"/>.</param>
    /// <returns>The output and the updated state.</returns>
    public (TOut Output, Params State) Apply(Params parameters, Params state, TIn input, long seed) =>
        ApplyCore(parameters, state, input, RngKey.FromSeed(seed));

    /// <summary>Runs the model with a random key sequence from <paramref name="key"/>.</summary>
    /// <param name="parameters">The parameters.</param>
    /// <param name="state">The state.</param>
    /// <param name="input">The input.</param>
    /// <param name="key">The key for <see cref="Hk.NextRngKey"/>.</param>
    /// <returns>The output and the updated state.</returns>
    public (TOut Output, Params State) Apply(Params parameters, Params state, TIn input, RngKey key) =>
        ApplyCore(parameters, state, input, key);

    private (TOut, Params) ApplyCore(Params parameters, Params state, TIn input, RngKey? key)
    {
        ArgumentNullException.ThrowIfNull(state);
        var (value, frame) = TransformRun.Apply(Function, parameters, state, input, key, withState: true, UnusedParamsAllowed);
        return (value, frame.State);
    }
}

/// <summary>The one run implementation behind <see cref="Transformed{TIn, TOut}"/> and <see cref="TransformedWithState{TIn, TOut}"/>.</summary>
internal static class TransformRun
{
    /// <summary>Runs <c>Init</c>: the final frame holds the parameters and the initial state.</summary>
    public static Frame Init<TIn, TOut>(Func<TIn, Model<TOut>> function, RngKey key, TIn input, Device? device, bool withState)
    {
        TensorChecks.RequireAliveInput(input, "Init");
        using var temporaries = RunTemporaries.Open();
        var frame = function(input).Run(Frame.ForInit(key, withState, DeviceOf.Choose(device, input))).Frame;
        RunTemporaries.Keep(temporaries, null, frame.Params, frame.State, frame.InitialState);
        return frame;
    }

    /// <summary>Runs <c>Apply</c> and checks that every given parameter was read (unless allowed).</summary>
    public static (TOut Value, Frame Frame) Apply<TIn, TOut>(Func<TIn, Model<TOut>> function, Params parameters, Params state, TIn input, RngKey? key, bool withState, bool unusedAllowed)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        TensorChecks.RequireAliveInput(input, "Apply");
        using var temporaries = RunTemporaries.Open();
        var (value, frame) = function(input).Run(Frame.ForApply(parameters, state, key, withState));
        if (!unusedAllowed) RequireAllRead(parameters, frame);
        RunTemporaries.Keep(temporaries, value, null, withState ? frame.State : null);
        return (value, frame);
    }

    /// <summary>
    /// Every given parameter must have been read, unless it lives under the scope of a Cond/Switch branch that
    /// was not taken (legitimately unread).
    /// </summary>
    private static void RequireAllRead(Params given, Frame frame)
    {
        var reads = frame.Run.Reads;
        if (reads is null || reads.GivenRead == given.Count) return;
        var skipped = frame.Extras.SkippedScopes;
        var unused = given.Keys.Where(k => !reads.Contains(k) && !skipped.Any(s => k.StartsWith(s + "/", StringComparison.Ordinal))).ToList();
        if (unused.Count > 0) throw new UnusedParametersException(unused, given.Count);
    }
}

internal static class DeviceOf
{
    /// <summary>The requested device, else the input's when it is a tensor off the CPU, else null (the CPU).</summary>
    public static Device? Choose<TIn>(Device? requested, TIn input) =>
        requested ?? (input is Tensor t && t.device_type != DeviceType.CPU ? t.device : null);
}
