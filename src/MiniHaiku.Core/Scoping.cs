using System.Runtime.CompilerServices;

namespace MiniHaiku;

/// <summary>
/// Scopes (Haiku's <c>base.py</c> frame handling): module method scopes with call recording, named scopes,
/// and running a body with part of the frame changed and restored afterwards.
/// </summary>
internal static class Scoping
{
    /// <summary>
    /// Runs a module method's <paramref name="body"/> in a fresh scope invocation at
    /// <c>{module path}/{method}</c> with <paramref name="module"/> as the current module, recording the call
    /// when the run records method calls (summaries).
    /// </summary>
    /// <remarks>
    /// With <paramref name="intercepted"/>, the call runs under the frame's method interceptors when there are any
    /// (<see cref="Hk.InterceptMethod{T}"/>), decided when it runs: one object per call either way.
    /// </remarks>
    public static Model<T> MethodScoped<T>(Module module, string method, object? input, Model<T> body, bool intercepted = false) =>
        new MethodScope<T>(module, method, input, body, intercepted).ToModel();

    /// <summary>A module method's scope: one object per call (no closures), recording the call when asked.</summary>
    private sealed class MethodScope<T>(Module module, string method, object? input, Model<T> body, bool intercepted) : Bracket<object, T>(body)
    {
        private readonly string path = module.Name.Path + "/" + method;

        public override Model<T>? Instead(Frame frame) =>
            !intercepted || frame.Extras.MethodInterceptors is not { IsEmpty: false } interceptors
                ? null
                : Hk.InterceptMethod(module, method, input, MethodScoped(module, method, input, new Model<T>(Body)), interceptors);

        // Saved: the frame before the call (so that leaving can return it when the body changed nothing), or, when the
        // run records method calls, the index of the recorded call.
        public override (object Saved, Frame Frame) Enter(Frame frame)
        {
            var pushed = frame.PushScope(path, module);
            if (frame.Run.MethodCalls is not { } calls) return (frame, pushed);
            var depth = 0;
            foreach (var c in calls) if (!c.Completed) depth++;
            calls.Add(new MethodCall(module.Name.Path, method, depth, input is null ? null : ValueShapes.Describe(input), null));
            return (new StrongBox<int>(calls.Count - 1), pushed);
        }

        public override Frame Exit(Frame frame, object saved, T value)
        {
            if (saved is Frame before) return frame.PopScopeTo(before);
            var index = ((StrongBox<int>)saved).Value;
            if (frame.Run.MethodCalls is { } calls) calls[index] = calls[index] with { Output = ValueShapes.Describe(value) };
            return frame.PopScope();
        }
    }

    /// <summary>Runs <paramref name="body"/> in a fresh scope invocation at <paramref name="path"/>.</summary>
    public static Model<T> InScope<T>(string path, Model<T> body) => ModelOps.InScope(path, body);

    /// <summary>Runs <paramref name="body"/> in a fresh scope invocation at <c>{current scope}/{relative}</c>.</summary>
    public static Model<T> InSubScope<T>(string relative, Model<T> body) =>
        ModelOps.FromFrame(f => ModelOps.InScope(f.CurrentScope.Path + "/" + relative, body));

    /// <summary>Runs <paramref name="body"/> in a fresh scope invocation at the current path (a transparent lift).</summary>
    public static Model<T> InSameScope<T>(Model<T> body) =>
        ModelOps.FromFrame(f => ModelOps.InScope(f.CurrentScope.Path, body));

    /// <summary>
    /// Runs <paramref name="body"/> with the frame's extras changed by <paramref name="change"/>; afterwards
    /// <paramref name="restore"/>(extras after the body, extras before it) puts back the changed part only,
    /// keeping what the body recorded (e.g. skipped branch scopes).
    /// </summary>
    public static Model<T> WithExtras<T>(Func<FrameExtras, FrameExtras> change, Func<FrameExtras, FrameExtras, FrameExtras> restore, Model<T> body) =>
        ModelOps.Around(
            f => f with { Extras = change(f.Extras) },
            body,
            (now, before) => now with { Extras = restore(now.Extras, before.Extras) });

    /// <summary>Runs <paramref name="body"/> with state forbidden (as under plain <c>Transform</c>), restoring the flag afterwards.</summary>
    public static Model<T> WithoutStateAccess<T>(Model<T> body) =>
        WithExtras(x => x.StateHidden ? x : x with { StateHidden = true }, (now, old) => now.StateHidden == old.StateHidden ? now : now with { StateHidden = old.StateHidden }, body);
}
