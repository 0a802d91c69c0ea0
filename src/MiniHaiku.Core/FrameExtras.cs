using System.Collections.Immutable;

namespace MiniHaiku;

/// <summary>
/// The parts of a <see cref="Frame"/> used by the transform toolbox: the interceptor stacks
/// (<see cref="Hk.CustomCreator{T}"/>, <see cref="Hk.CustomGetter{T}"/>, <see cref="Hk.CustomSetter{T}"/>,
/// <see cref="Hk.InterceptMethods{T}"/>), the scopes of the <c>Hk.Cond</c>/<c>Hk.Switch</c> branches
/// <c>Apply</c> skipped, and whether state is hidden by a transparent lift or a plain <see cref="Hk.Lift{TIn, TOut}(Transformed{TIn, TOut}, string)"/>.
/// Immutable like the frame: each combinator pushes onto a copy and restores the previous value afterwards.
/// </summary>
internal sealed record FrameExtras
{
    public static FrameExtras None { get; } = new();

    /// <summary>Creators, oldest first; the last one runs first.</summary>
    public ImmutableList<ParamInterceptor> Creators { get; init; } = [];

    /// <summary>Getters, oldest first; the last one runs first.</summary>
    public ImmutableList<ParamInterceptor> Getters { get; init; } = [];

    /// <summary>State setters, oldest first; the last one runs first.</summary>
    public ImmutableList<StateSetter> Setters { get; init; } = [];

    /// <summary>Method interceptors, oldest first; the last one runs first.</summary>
    public ImmutableList<MethodInterceptor> MethodInterceptors { get; init; } = [];

    /// <summary>The scope paths of the branches <c>Apply</c> skipped (their parameters are legitimately unread).</summary>
    public ImmutableHashSet<string> SkippedScopes { get; init; } = ImmutableHashSet.Create<string>(StringComparer.Ordinal);

    /// <summary>Inside a plain <c>Hk.Lift</c>: the lift's path (state is not allowed there), else null.</summary>
    public string? StatelessLift { get; init; }

    /// <summary>True inside a transparent lift of a stateless model: state is hidden there.</summary>
    public bool StateHidden { get; init; }

    /// <summary>True inside <c>Hk.EvalShape</c>: parameters are created on the meta device.</summary>
    public bool Meta { get; init; }
}
