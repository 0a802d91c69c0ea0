namespace MiniHaiku;

/// <summary>The base of every error MiniHaiku raises. Catch this to handle any misuse of the library.</summary>
public class MiniHaikuException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong and how to fix it.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public MiniHaikuException(string message, Exception? inner = null) : base(message, inner) { }
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

/// <summary><c>GetParam</c> was called without a shape for a parameter that does not exist yet.</summary>
public sealed class MissingShapeException(string path) : MiniHaikuException(
    $"Parameter '{path}' does not exist yet and GetParam was called without a shape, so it cannot be created. " +
    "Pass the shape (and an initializer) the first time this parameter is requested.")
{
    /// <summary>The parameter path.</summary>
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

/// <summary>An initializer produced a value that is not finite, or of the wrong shape.</summary>
public sealed class InitializerException(string path, string message) : MiniHaikuException($"Initializer for '{path}' {message}")
{
    /// <summary>The parameter or state path.</summary>
    public string Path { get; } = path;
}

/// <summary>A combinator was used with arguments it cannot work with (e.g. a switch index out of range).</summary>
public sealed class ModelUsageException(string message) : MiniHaikuException(message);
