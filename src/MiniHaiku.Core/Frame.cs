using System.Collections.Immutable;
using static TorchSharp.torch;

namespace MiniHaiku;

/// <summary>
/// The immutable state a <see cref="Model{T}"/> threads through a computation: Haiku's frame.
/// Every step returns a new frame; none is ever changed in place.
/// </summary>
/// <remarks>
/// Fields: the parameters (<see cref="Params"/>), the model state (<see cref="State"/> and the first
/// value each state took, <see cref="InitialState"/>), the random key sequence (<see cref="Rng"/>),
/// the key from which initial parameter values derive (<see cref="InitKey"/>), whether this is
/// <c>Init</c> (<see cref="IsInitializing"/>), the scope stack with per-invocation module counters
/// (<see cref="Scopes"/>), and what <c>Apply</c> has read so far (<see cref="ReadParams"/>).
/// </remarks>
public sealed record Frame
{
    /// <summary>The top-level scope name.</summary>
    public const string RootScope = "~";

    private Frame() { }

    /// <summary>The parameters: being created during <c>Init</c>, read-only during <c>Apply</c>.</summary>
    public Params Params { get; init; } = Params.Empty;

    /// <summary>The current model state (<c>Hk.GetState</c>/<c>Hk.SetState</c>).</summary>
    public Params State { get; init; } = Params.Empty;

    /// <summary>The first value each state took during <c>Init</c>: what <c>Init</c> returns.</summary>
    public Params InitialState { get; init; } = Params.Empty;

    /// <summary>The key <c>Hk.NextRngKey</c> splits from, or null when the caller gave none.</summary>
    public RngKey? Rng { get; init; }

    /// <summary>The key from which each parameter's initial value derives (folded with its path).</summary>
    public RngKey InitKey { get; init; }

    /// <summary>
    /// Where <c>Init</c> places new parameters and state, or null for the CPU. Values do not depend on it: they are
    /// drawn on the CPU from the same keys and then moved, so a model initialises identically on every device.
    /// </summary>
    public Device? Device { get; init; }

    /// <summary>True inside <c>Init</c>: parameters are created rather than read.</summary>
    public bool IsInitializing { get; init; }

    /// <summary>True under <c>Hk.TransformWithState</c>: state may be used.</summary>
    public bool StateAllowed { get; init; }

    /// <summary>The scope stack; the top is the current scope. Never empty.</summary>
    public ImmutableStack<Scope> Scopes { get; init; } = ImmutableStack.Create(Scope.Fresh(RootScope));

    /// <summary>The parameter paths <c>Apply</c> has read so far.</summary>
    public ImmutableHashSet<string> ReadParams { get; init; } = ImmutableHashSet.Create<string>(StringComparer.Ordinal);

    /// <summary>
    /// The module method calls recorded so far, or null when not recording (the default: recording
    /// costs one null check per method call when off). Set to an empty list to record, as
    /// <c>Summary.Tabulate</c> does.
    /// </summary>
    public System.Collections.Immutable.ImmutableList<MethodCall>? MethodCalls { get; init; }

    /// <summary>True once <c>Apply</c> skipped a branch of <c>Hk.Cond</c>/<c>Hk.Switch</c>: it may read a subset of the parameters.</summary>
    public bool SkippedBranches { get; init; }

    /// <summary>The current scope.</summary>
    public Scope CurrentScope => Scopes.Peek();

    /// <summary>Interceptors, skipped branch scopes and lift flags (see <see cref="FrameExtras"/>).</summary>
    internal FrameExtras Extras { get; init; } = FrameExtras.None;

    /// <summary>A frame for <c>Init</c>: parameters are created from <paramref name="seed"/>.</summary>
    /// <param name="seed">The seed for parameter values and random keys.</param>
    /// <param name="withState">Whether state is allowed (<c>TransformWithState</c>).</param>
    /// <returns>A fresh frame at the root scope.</returns>
    public static Frame ForInit(long seed, bool withState = false) => ForInit(RngKey.FromSeed(seed), withState);

    /// <summary>A frame for <c>Init</c>: parameters are created from <paramref name="key"/>.</summary>
    /// <param name="key">The key for parameter values and random keys.</param>
    /// <param name="withState">Whether state is allowed (<c>TransformWithState</c>).</param>
    /// <returns>A fresh frame at the root scope.</returns>
    public static Frame ForInit(RngKey key, bool withState = false) =>
        new() { IsInitializing = true, InitKey = key, Rng = key.Fold("rng"), StateAllowed = withState };

    /// <summary>A frame for <c>Apply</c>: parameters are read from <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The parameters to read.</param>
    /// <param name="state">The state, or null for none.</param>
    /// <param name="rng">The key for <c>Hk.NextRngKey</c>, or null when the model needs none.</param>
    /// <param name="withState">Whether state is allowed (<c>TransformWithState</c>).</param>
    /// <returns>A fresh frame at the root scope.</returns>
    public static Frame ForApply(Params parameters, Params? state = null, RngKey? rng = null, bool withState = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new() { Params = parameters, State = state ?? Params.Empty, Rng = rng?.Fold("rng"), StateAllowed = withState };
    }

    internal Frame WithScope(Scope scope) => this with { Scopes = Scopes.Pop().Push(scope) };
}

/// <summary>
/// One scope invocation: its path and the module names handed out in it so far. A module method call
/// pushes a fresh one, so each call of a parent re-creates its children under the same names.
/// </summary>
/// <param name="Path">The scope path, e.g. <c>~/MLP_0/__call__</c>.</param>
/// <param name="Counters">How many modules of each type were auto-named in this invocation.</param>
/// <param name="Names">Every module name used in this invocation.</param>
public sealed record Scope(string Path, ImmutableDictionary<string, int> Counters, ImmutableHashSet<string> Names)
{
    private static readonly ImmutableDictionary<string, int> NoCounters = ImmutableDictionary.Create<string, int>(StringComparer.Ordinal);
    private static readonly ImmutableHashSet<string> NoNames = ImmutableHashSet.Create<string>(StringComparer.Ordinal);

    /// <summary>A scope with no names handed out yet.</summary>
    /// <param name="path">The scope path.</param>
    /// <returns>The scope.</returns>
    public static Scope Fresh(string path) => new(path, NoCounters, NoNames);
}
