using static TorchSharp.torch;

namespace MiniHaiku;

/// <summary>
/// The immutable state a <see cref="Model{T}"/> threads through a computation: Haiku's frame. Every step
/// returns a new frame; none is ever changed in place. Internal: users see it only through <c>Hk</c>'s
/// functions (<c>Hk.CurrentScope</c>, <c>Hk.RunningInit</c>, <c>Hk.GetParams</c>, …).
/// </summary>
/// <remarks>
/// What changes from step to step lives here: the parameters (created during <c>Init</c>), the state and its
/// first values, the random key sequence, the current scope (with its parent chain) and the interceptors
/// (<see cref="Extras"/>). What is fixed for a whole run (<c>Init</c> or <c>Apply</c>, the init key, the
/// device, the recorders) lives in one <see cref="RunContext"/> the frame only points to, so a step's
/// <c>with</c> copies few fields.
/// </remarks>
internal sealed record Frame
{
    /// <summary>The top-level scope name.</summary>
    public const string RootScope = "~";

    private static readonly Scope Root = Scope.Fresh(RootScope);

    private Frame(RunContext run) => Run = run;

    /// <summary>What is fixed for the whole run.</summary>
    public RunContext Run { get; init; }

    /// <summary>The parameters: being created during <c>Init</c>, read-only during <c>Apply</c>.</summary>
    public Params Params { get; init; } = Params.Empty;

    /// <summary>The current model state (<c>Hk.GetState</c>/<c>Hk.SetState</c>).</summary>
    public Params State { get; init; } = Params.Empty;

    /// <summary>The first value each state took during <c>Init</c>: what <c>Init</c> returns.</summary>
    public Params InitialState { get; init; } = Params.Empty;

    /// <summary>The key <c>Hk.NextRngKey</c> splits from, or null when the caller gave none.</summary>
    public RngKey? Rng { get; init; }

    /// <summary>The current scope invocation; its <see cref="Scope.Parent"/> chain is the scope stack.</summary>
    public Scope CurrentScope { get; init; } = Root;

    /// <summary>Interceptors, skipped branch scopes and lift flags (see <see cref="FrameExtras"/>).</summary>
    public FrameExtras Extras { get; init; } = FrameExtras.None;

    /// <summary>True inside <c>Init</c>: parameters are created rather than read.</summary>
    public bool IsInitializing => Run.IsInitializing;

    /// <summary>True when state may be used: under <c>Hk.TransformWithState</c> and not hidden by a transparent lift.</summary>
    public bool StateAllowed => Run.StateAllowed && !Extras.StateHidden;

    /// <summary>The key from which each parameter's initial value derives (folded with its path).</summary>
    public RngKey InitKey => Run.InitKey;

    /// <summary>Where <c>Init</c> places new parameters and state, or null for the CPU.</summary>
    public Device? Device => Run.Device;

    /// <summary>True once <c>Apply</c> skipped a branch of <c>Hk.Cond</c>/<c>Hk.Switch</c>: it may read a subset of the parameters.</summary>
    public bool SkippedBranches => !Extras.SkippedScopes.IsEmpty;

    /// <summary>The scope stack, innermost first (for tests and error messages).</summary>
    public IReadOnlyList<Scope> Scopes
    {
        get
        {
            var list = new List<Scope>();
            for (var s = CurrentScope; s is not null; s = s.Parent) list.Add(s);
            return list;
        }
    }

    /// <summary>The parameter paths this run of <c>Apply</c> has read (materialised from the run's read log).</summary>
    public IReadOnlySet<string> ReadParams => Run.Reads?.ToSet() ?? (IReadOnlySet<string>)new HashSet<string>();

    /// <summary>The module method calls recorded by this run, or null when not recording.</summary>
    public IReadOnlyList<MethodCall>? MethodCalls => Run.MethodCalls;

    /// <summary>A frame for <c>Init</c>: parameters are created from <paramref name="seed"/>.</summary>
    public static Frame ForInit(long seed, bool withState = false) => ForInit(RngKey.FromSeed(seed), withState);

    /// <summary>A frame for <c>Init</c>: parameters are created from <paramref name="key"/>.</summary>
    /// <param name="key">The key for parameter values and random keys.</param>
    /// <param name="withState">Whether state is allowed (<c>TransformWithState</c>).</param>
    /// <param name="device">Where to place new parameters and state, or null for the CPU.</param>
    /// <param name="recordCalls">Whether to record module method calls (for summaries).</param>
    public static Frame ForInit(RngKey key, bool withState = false, Device? device = null, bool recordCalls = false) =>
        new(new RunContext(isInitializing: true, withState, key, device, recordCalls ? [] : null, reads: null)) { Rng = key.Fold("rng") };

    /// <summary>A frame for <c>Apply</c>: parameters are read from <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The parameters to read.</param>
    /// <param name="state">The state, or null for none.</param>
    /// <param name="rng">The key for <c>Hk.NextRngKey</c>, or null when the model needs none.</param>
    /// <param name="withState">Whether state is allowed (<c>TransformWithState</c>).</param>
    public static Frame ForApply(Params parameters, Params? state = null, RngKey? rng = null, bool withState = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new(new RunContext(isInitializing: false, withState, default, null, null, new ReadLog(parameters)))
        {
            Params = parameters,
            State = state ?? Params.Empty,
            Rng = rng?.Fold("rng"),
        };
    }

    /// <summary>This frame with <paramref name="scope"/> in place of the current scope (same parent).</summary>
    public Frame WithScope(Scope scope) => this with { CurrentScope = scope };

    /// <summary>Enters a fresh scope invocation at <paramref name="path"/> (the current module carries over).</summary>
    public Frame PushScope(string path) => this with { CurrentScope = new Scope(path, NameTable.Empty, CurrentScope.Module, CurrentScope) };

    /// <summary>Enters a module method's fresh scope invocation at <paramref name="path"/>.</summary>
    public Frame PushScope(string path, Module module) => this with { CurrentScope = new Scope(path, NameTable.Empty, module, CurrentScope) };

    /// <summary>Leaves the current scope invocation.</summary>
    public Frame PopScope() =>
        this with { CurrentScope = CurrentScope.Parent ?? throw new InvalidOperationException("Popped the root scope.") };

    /// <summary>
    /// Leaves the current scope invocation, entered from <paramref name="before"/>: when the body changed nothing but its
    /// own scope invocation (which leaving discards), the result is <paramref name="before"/> itself and no frame is
    /// allocated (a module method that only reads parameters, as every layer call of an <c>Apply</c> does); otherwise
    /// <see cref="PopScope"/>. Every property of the frame is compared here: a property added to the record must be
    /// added here too (FrameTests checks the list).
    /// </summary>
    public Frame PopScopeTo(Frame before) =>
        ReferenceEquals(CurrentScope.Parent, before.CurrentScope)
        && ReferenceEquals(Run, before.Run)
        && ReferenceEquals(Params, before.Params)
        && ReferenceEquals(State, before.State)
        && ReferenceEquals(InitialState, before.InitialState)
        && Rng == before.Rng
        && ReferenceEquals(Extras, before.Extras)
            ? before
            : PopScope();

    /// <summary>A copy for replaying part of a run after it ended (e.g. a remat's backward pass): it records nothing.</summary>
    public Frame ForReplay() => this with { Run = Run.WithoutRecording() };
}

/// <summary>
/// What is fixed for a whole run of a model: whether it is <c>Init</c>, whether state is allowed, the init key,
/// the device, and the run's recorders (parameter reads, method calls). The recorders are mutable: a run is
/// single-threaded and a run context belongs to one run, so concurrent <c>Apply</c> calls never share one.
/// </summary>
internal sealed class RunContext(bool isInitializing, bool stateAllowed, RngKey initKey, Device? device, List<MethodCall>? methodCalls, ReadLog? reads)
{
    /// <summary>True inside <c>Init</c>.</summary>
    public bool IsInitializing { get; } = isInitializing;

    /// <summary>True under <c>Hk.TransformWithState</c>.</summary>
    public bool StateAllowed { get; } = stateAllowed;

    /// <summary>The key from which each parameter's initial value derives.</summary>
    public RngKey InitKey { get; } = initKey;

    /// <summary>Where <c>Init</c> places new values, or null for the CPU.</summary>
    public Device? Device { get; } = device;

    /// <summary>The module method calls recorded so far, or null when not recording (the default).</summary>
    public List<MethodCall>? MethodCalls { get; } = methodCalls;

    /// <summary>The parameter reads of an <c>Apply</c>, or null (during <c>Init</c>, or in a replay).</summary>
    public ReadLog? Reads { get; } = reads;

    /// <summary>The same run without its recorders.</summary>
    public RunContext WithoutRecording() => new(IsInitializing, StateAllowed, InitKey, Device, null, null);
}

/// <summary>
/// The parameter paths an <c>Apply</c> has read: one mark per parameter of the given map, set in O(1) by the
/// index the lookup already found; reads from any other map (e.g. a remat's substituted leaves) go to a set.
/// </summary>
internal sealed class ReadLog(Params given)
{
    private bool[]? marks;
    private HashSet<string>? others;

    /// <summary>How many distinct parameters of the given map were read.</summary>
    public int GivenRead { get; private set; }

    /// <summary>Records a read of <paramref name="path"/>, found at <paramref name="index"/> of <paramref name="source"/>.</summary>
    public void Record(Params source, int index, string path)
    {
        if (!ReferenceEquals(source, given))
        {
            (others ??= new HashSet<string>(StringComparer.Ordinal)).Add(path);
            return;
        }
        marks ??= new bool[given.Count];
        if (marks[index]) return;
        marks[index] = true;
        GivenRead++;
    }

    /// <summary>
    /// <see cref="Record(Params, int, string)"/> for a path in a buffer: a string is made only for a read from another
    /// map than the given one.
    /// </summary>
    public void Record(Params source, int index, ReadOnlySpan<char> path)
    {
        if (!ReferenceEquals(source, given))
        {
            Record(source, index, path.ToString());
            return;
        }
        marks ??= new bool[given.Count];
        if (marks[index]) return;
        marks[index] = true;
        GivenRead++;
    }

    /// <summary>Whether <paramref name="path"/> was read.</summary>
    public bool Contains(string path) =>
        (others?.Contains(path) ?? false) || (marks is not null && given.TryGetEntry(path, out var e) && marks[e.Index]);

    /// <summary>Every path read, as a set.</summary>
    public HashSet<string> ToSet()
    {
        var set = others is null ? new HashSet<string>(StringComparer.Ordinal) : new HashSet<string>(others, StringComparer.Ordinal);
        if (marks is null) return set;
        var i = 0;
        foreach (var key in given.Keys)
            if (marks[i++]) set.Add(key);
        return set;
    }
}

/// <summary>
/// One scope invocation: its path, the module names handed out in it so far, the module whose method is
/// running (or null) and the enclosing invocation. A module method call pushes a fresh one, so each call of a
/// parent re-creates its children under the same names.
/// </summary>
/// <param name="Path">The scope path, e.g. <c>~/MLP_0/__call__</c>.</param>
/// <param name="Names">The module names (and per-type counters) of this invocation.</param>
/// <param name="Module">The module whose method is running here, or null.</param>
/// <param name="Parent">The enclosing scope invocation, or null at the root.</param>
internal sealed record Scope(string Path, NameTable Names, Module? Module, Scope? Parent)
{
    /// <summary>A root-level scope with no names handed out yet.</summary>
    public static Scope Fresh(string path) => new(path, NameTable.Empty, null, null);
}
