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
    public static Model<T> MethodScoped<T>(Module module, string method, object? input, Model<T> body) =>
        new MethodScope<T>(module, method, input, body).ToModel();

    /// <summary>A module method's scope: one object per call (no closures), recording the call when asked.</summary>
    private sealed class MethodScope<T>(Module module, string method, object? input, Model<T> body) : Bracket<StrongBox<int>?, T>(body)
    {
        private readonly string path = module.Name.Path + "/" + method;

        // Saved: the index of the recorded call, or null when the run records none (no boxing then).
        public override (StrongBox<int>? Saved, Frame Frame) Enter(Frame frame)
        {
            var pushed = frame.PushScope(path, module);
            if (frame.Run.MethodCalls is not { } calls) return (null, pushed);
            var depth = 0;
            foreach (var c in calls) if (!c.Completed) depth++;
            calls.Add(new MethodCall(module.Name.Path, method, depth, input is null ? null : ValueShapes.Describe(input), null));
            return (new StrongBox<int>(calls.Count - 1), pushed);
        }

        public override Frame Exit(Frame frame, StrongBox<int>? saved, T value)
        {
            if (saved is not null && frame.Run.MethodCalls is { } calls) calls[saved.Value] = calls[saved.Value] with { Output = ValueShapes.Describe(value) };
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
