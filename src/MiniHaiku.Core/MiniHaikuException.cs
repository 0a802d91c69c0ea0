using static TorchSharp.torch;

namespace MiniHaiku;

/// <summary>
/// The base of every error MiniHaiku raises. Catch this to handle any misuse of the library. It is never
/// thrown itself: every error is a named subtype (see docs/errors.md), so a message always comes with a type
/// that says what kind of misuse it is.
/// </summary>
public abstract class MiniHaikuException : Exception
{
    /// <summary>Creates the exception (for subtypes).</summary>
    /// <param name="message">What went wrong and how to fix it.</param>
    /// <param name="inner">The underlying error, if any.</param>
    protected MiniHaikuException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary><c>Apply</c> asked for a parameter that the given <see cref="Params"/> do not contain.</summary>
public sealed class MissingParameterException : MiniHaikuException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The full path that was asked for.</param>
    /// <param name="nearest">The closest known paths, best first.</param>
    /// <param name="kind">"parameter" or "state".</param>
    public MissingParameterException(string path, IReadOnlyList<string> nearest, string kind = "parameter")
        : base($"Missing {kind} '{path}': Apply never creates {kind}s, it only reads what Init made. " +
               (nearest.Count == 0
                   ? $"The {kind} map given to Apply is empty. Pass the result of Init (or a checkpoint of this same model)."
                   : $"Nearest known paths: {string.Join(", ", nearest.Select(n => "'" + n + "'"))}. Pass the result of Init of this same model, or check module names."))
    {
        Path = path;
        Nearest = nearest;
    }

    /// <summary>The missing path.</summary>
    public string Path { get; }

    /// <summary>The closest known paths, best first.</summary>
    public IReadOnlyList<string> Nearest { get; }
}

/// <summary>A stored parameter (or state) has a different shape from the one requested.</summary>
public sealed class ShapeMismatchException : MiniHaikuException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The parameter path.</param>
    /// <param name="expected">The shape the model asked for.</param>
    /// <param name="actual">The shape that is stored (or was produced).</param>
    /// <param name="hint">How to fix it.</param>
    public ShapeMismatchException(string path, IReadOnlyList<long> expected, IReadOnlyList<long> actual, string? hint = null)
        : base($"Shape mismatch for '{path}': the model asks for {ShapeText.Format(expected)} but the stored value has {ShapeText.Format(actual)}. " +
               (hint ?? "The parameters were made for a different input size or model; re-run Init, or fix the shape passed to GetParam."))
    {
        Path = path;
        Expected = expected.ToArray();
        Actual = actual.ToArray();
    }

    /// <summary>The parameter path.</summary>
    public string Path { get; }

    /// <summary>The requested shape.</summary>
    public IReadOnlyList<long> Expected { get; }

    /// <summary>The stored shape.</summary>
    public IReadOnlyList<long> Actual { get; }
}

/// <summary>A module or scope name is invalid, or is used twice in one scope invocation.</summary>
public sealed class ModuleNameException(string message, string name, string scope) : MiniHaikuException(message)
{
    /// <summary>The offending name.</summary>
    public string Name { get; } = name;

    /// <summary>The scope path in which it was used.</summary>
    public string Scope { get; } = scope;
}

/// <summary>A parameter or state name is empty or contains <c>/</c>.</summary>
public sealed class ParameterNameException(string message, string name, string scope) : MiniHaikuException(message)
{
    /// <summary>The offending name.</summary>
    public string Name { get; } = name;

    /// <summary>The scope path in which it was used.</summary>
    public string Scope { get; } = scope;
}

/// <summary><c>GetParam</c> (or <c>GetState</c>) was called without a shape for a parameter (or state) that does not exist yet.</summary>
/// <param name="path">The parameter or state path.</param>
/// <param name="kind">"parameter" or "state".</param>
public sealed class MissingShapeException(string path, string kind = "parameter") : MiniHaikuException(
    kind == "state"
        ? $"State '{path}' does not exist yet and GetState was called without a shape, so it cannot be created. " +
          "Pass the shape (and an initializer) the first time this state is requested, or SetState it before reading it."
        : $"Parameter '{path}' does not exist yet and GetParam was called without a shape, so it cannot be created. " +
          "Pass the shape (and an initializer) the first time this parameter is requested.")
{
    /// <summary>The parameter or state path.</summary>
    public string Path { get; } = path;
}

/// <summary>The model drew a random key but the caller gave <c>Apply</c> no seed or key.</summary>
public sealed class MissingRngException(string scope) : MiniHaikuException(
    $"The model asked for a random key (Hk.NextRngKey) in scope '{scope}', but Apply was called without one. " +
    "Pass a seed or RngKey: transformed.Apply(params, input, seed) — or use Hk.MaybeNextRngKey() where randomness is optional.")
{
    /// <summary>The scope in which the key was requested.</summary>
    public string Scope { get; } = scope;
}

/// <summary><c>GetState</c>/<c>SetState</c> was used in a model transformed with plain <c>Transform</c>.</summary>
public sealed class StatefulTransformRequiredException(string path) : MiniHaikuException(
    $"State '{path}' was used, but the model was transformed with Hk.Transform, which has no state. " +
    "Use Hk.TransformWithState(f): its Init returns (Params, State) and its Apply takes and returns the state.")
{
    /// <summary>The state path.</summary>
    public string Path { get; } = path;
}

/// <summary>The parameters given to <c>Apply</c> contain entries the model never read.</summary>
public sealed class UnusedParametersException(IReadOnlyList<string> unused, int total) : MiniHaikuException(
    $"Apply was given {total} parameters but the model never read {unused.Count} of them: " +
    string.Join(", ", unused.Take(8).Select(u => "'" + u + "'")) + (unused.Count > 8 ? ", …" : "") +
    ". They probably come from a different model (e.g. a checkpoint of another architecture). " +
    "If this is intended, call transformed.AllowUnusedParams().")
{
    /// <summary>Every unused path.</summary>
    public IReadOnlyList<string> Unused { get; } = unused;
}

/// <summary>An initializer produced a value that is not finite, or of the wrong shape or dtype, or failed.</summary>
/// <param name="path">The parameter or state path.</param>
/// <param name="message">What went wrong, continuing "Initializer for 'path' …".</param>
/// <param name="inner">The initializer's own error, if it threw.</param>
public sealed class InitializerException(string path, string message, Exception? inner = null)
    : MiniHaikuException($"Initializer for '{path}' {message}", inner)
{
    /// <summary>The parameter or state path.</summary>
    public string Path { get; } = path;
}

/// <summary>
/// An initializer was created, or asked for a value, with arguments it cannot use (e.g. a non-positive
/// <c>VarianceScaling</c> scale, <c>Orthogonal</c> on a 1-D shape, a random initializer with an integer dtype).
/// Inside <c>Init</c> it reaches the caller wrapped in an <see cref="InitializerException"/> naming the path.
/// </summary>
/// <param name="initializer">The initializer, e.g. <c>Orthogonal</c>.</param>
/// <param name="message">What is wrong and how to fix it, naming the initializer.</param>
public sealed class InitializerConfigurationException(string initializer, string message) : MiniHaikuException(message)
{
    /// <summary>The initializer that rejected its arguments.</summary>
    public string Initializer { get; } = initializer;
}

/// <summary>
/// A stored parameter or state (or a tensor meeting it, such as a layer's input or a recurrent state) has a
/// different element type from the one the model asks for. Raised before TorchSharp is called: a dtype
/// mismatch inside a native matrix product would abort the process.
/// </summary>
public sealed class DTypeMismatchException : MiniHaikuException
{
    /// <summary>Creates the exception for a stored value read with another dtype.</summary>
    /// <param name="path">The parameter or state path.</param>
    /// <param name="expected">The dtype the model asks for (usually its input's).</param>
    /// <param name="actual">The stored value's dtype.</param>
    public DTypeMismatchException(string path, ScalarType expected, ScalarType actual)
        : this(path, expected, actual,
            $"DType mismatch for '{path}': the model asks for {expected} (its input's dtype) but the stored value is {actual}. " +
            $"Cast the input to the parameters' dtype (x.to_type(ScalarType.{actual})) or the parameters to the input's " +
            $"(p.Map(t => t.to_type(ScalarType.{expected}))), or re-run Init on an input of the dtype you apply to.")
    {
    }

    /// <summary>Creates the exception with a full message.</summary>
    /// <param name="path">The parameter, state or module path.</param>
    /// <param name="expected">The dtype that was needed.</param>
    /// <param name="actual">The dtype that was found.</param>
    /// <param name="message">The whole message: what was found, where, and how to fix it.</param>
    public DTypeMismatchException(string path, ScalarType expected, ScalarType actual, string message) : base(message)
    {
        Path = path;
        Expected = expected;
        Actual = actual;
    }

    /// <summary>The parameter, state or module path.</summary>
    public string Path { get; }

    /// <summary>The dtype that was needed.</summary>
    public ScalarType Expected { get; }

    /// <summary>The dtype that was found.</summary>
    public ScalarType Actual { get; }
}

/// <summary>
/// A tensor given to the library was already disposed (its native memory freed): an input, a parameter,
/// a state, a gradient or an optimizer state entry. <see cref="What"/> names it.
/// </summary>
/// <param name="what">Which tensor, e.g. <c>parameter '~/Linear_0/__call__/w'</c> or <c>the input of Apply</c>.</param>
public sealed class DisposedTensorException(string what) : MiniHaikuException(
    $"The tensor given as {what} was disposed: its native memory is freed and it cannot be read. " +
    "Keep tensors alive (outside any disposed scope, not Dispose()d or DisposeTensors()ed) while the library uses them, or pass a fresh one.")
{
    /// <summary>Which tensor was disposed (including its path when it has one).</summary>
    public string What { get; } = what;
}

/// <summary>Two <see cref="Params"/> maps that must have the same keys do not, or one map was given a path twice.</summary>
/// <param name="message">Which keys differ or repeat.</param>
public sealed class ParamsKeyException(string message) : MiniHaikuException(message);

/// <summary>A combinator or helper was used with arguments it cannot work with (e.g. a switch index out of range, <c>RngKey.Split(0)</c>).</summary>
public sealed class ModelUsageException(string message) : MiniHaikuException(message);
