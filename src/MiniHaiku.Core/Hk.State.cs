using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku;

public static partial class Hk
{
    /// <summary>
    /// Gets the state <paramref name="name"/> of the current scope (e.g. a moving average): created with
    /// <paramref name="init"/> during <c>Init</c> when it does not exist yet, read from the state passed
    /// to <c>Apply</c> otherwise. Requires <see cref="TransformWithState{TIn, TOut}"/>.
    /// </summary>
    /// <example><code>
    /// from n in Hk.GetState("count", [], Initializers.Zeros())   // created during Init, read from Apply's state
    /// from _ in Hk.SetState("count", n + 1)
    /// select x
    /// </code></example>
    /// <param name="name">The state's name within its scope (no <c>/</c>).</param>
    /// <param name="shape">Its shape; null only when it must already exist.</param>
    /// <param name="init">How to create it; default zeros.</param>
    /// <param name="dtype">Its element type; default <see cref="ScalarType.Float32"/>.</param>
    /// <returns>A model producing the current value.</returns>
    /// <exception cref="StatefulTransformRequiredException">The model was transformed with plain <c>Transform</c>.</exception>
    /// <exception cref="MissingParameterException">During <c>Apply</c>, the state does not contain the path.</exception>
    /// <exception cref="MissingShapeException">During <c>Init</c>, no shape was given for a new state.</exception>
    /// <exception cref="DTypeMismatchException">A <paramref name="dtype"/> was given and the stored state has another.</exception>
    /// <exception cref="DisposedTensorException">The stored state was disposed.</exception>
    public static Model<Tensor> GetState(string name, long[]? shape = null, Initializer? init = null, ScalarType? dtype = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var shapeCopy = shape?.ToArray();
        return ModelOps.Lift(frame =>
        {
            var path = StatePath(frame, name);
            if (frame.State.TryGetEntry(path, out var entry))
            {
                TensorChecks.RequireAlive(entry.Tensor, $"state '{path}'");
                if (shapeCopy is not null && !ShapeText.SameShape(entry.Shape, shapeCopy))
                    throw new ShapeMismatchException(path, shapeCopy, entry.Shape, "The state was made for a different input size or model; re-run Init.");
                if (dtype is { } requested && entry.DType != requested)
                    throw new DTypeMismatchException(path, requested, entry.DType,
                        $"DType mismatch for state '{path}': the model asks for {requested} (its input's dtype) but the stored state is {entry.DType}. " +
                        $"Cast the input (x.to_type(ScalarType.{entry.DType})) or the state (state.Map(t => t.to_type(ScalarType.{requested}))), or re-run Init on an input of the dtype you apply to.");
                return (entry.Tensor, frame);
            }
            if (!frame.IsInitializing) throw new MissingParameterException(path, frame.State.Nearest(path), "state");
            if (shapeCopy is null) throw new MissingShapeException(path, "state");
            var value = frame.Extras.Meta
                ? torch.empty(shapeCopy, dtype ?? ScalarType.Float32, device: torch.META)
                : CreateInitial(path, shapeCopy, init ?? Initializers.Zeros(), dtype ?? ScalarType.Float32, frame.InitKey, frame.Device);
            return (value, frame with { State = frame.State.With(path, value), InitialState = frame.InitialState.With(path, value) });
        });
    }

    /// <summary>
    /// Sets the state <paramref name="name"/> of the current scope. During <c>Init</c> the first value a
    /// state takes is the one <c>Init</c> returns; <c>Apply</c> returns the latest values.
    /// Returns <paramref name="value"/> so F# binds it with <c>let!</c>.
    /// </summary>
    /// <example><code>
    /// from avg in Hk.GetState("mean", [x.shape[^1]], Initializers.Zeros())
    /// from _ in Hk.SetState("mean", avg * 0.9 + x.mean([0]) * 0.1)   // returned as the new state by Apply
    /// select x - avg
    /// </code></example>
    /// <param name="name">The state's name within its scope.</param>
    /// <param name="value">The new value.</param>
    /// <returns>A model producing <paramref name="value"/>.</returns>
    /// <exception cref="StatefulTransformRequiredException">The model was transformed with plain <c>Transform</c>.</exception>
    /// <exception cref="ShapeMismatchException">The state exists with another shape.</exception>
    public static Model<Tensor> SetState(string name, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        return SetStateIntercepted(name, value, (frame, value) =>
        {
            var path = StatePath(frame, name);
            TensorChecks.RequireAlive(value, $"the new value of state '{path}' (SetState)");
            if (frame.State.TryGetValue(path, out var old))
            {
                TensorChecks.RequireAlive(old, $"state '{path}'");
                long[] oldShape = old.shape, newShape = value.shape;
                if (!ShapeText.SameShape(oldShape, newShape))
                    throw new ShapeMismatchException(path, oldShape, newShape, "SetState must keep a state's shape.");
            }
            var next = frame with { State = frame.State.With(path, value) };
            if (frame.IsInitializing && !frame.InitialState.ContainsKey(path))
                next = next with { InitialState = frame.InitialState.With(path, value) };
            return (value, next);
        });
    }

    private static string StatePath(Frame frame, string name)
    {
        var scope = frame.CurrentScope.Path;
        Naming.ValidateLeafName(name, scope, "state");
        var path = scope + "/" + name;
        if (!frame.StateAllowed) throw new StatefulTransformRequiredException(path);
        if (frame.Extras.StatelessLift is { } lift)
            throw new ModelUsageException(
                $"State '{path}' was used inside Hk.Lift(inner, …) at '{lift}', but the inner model was made with Hk.Transform, which has no state. " +
                "Make the inner model with Hk.TransformWithState and lift it with Hk.LiftWithState (or Hk.Lift of the TransformedWithState).");
        return path;
    }
}
