namespace MiniHaiku.Optim;

/// <summary>
/// An optimizer, schedule or gradient transformation was created with arguments it cannot use (e.g. a
/// non-positive <c>maxNorm</c> or decay steps).
/// </summary>
/// <param name="who">The optimizer or schedule, e.g. <c>ClipByGlobalNorm</c>.</param>
/// <param name="message">What is wrong and how to fix it.</param>
public sealed class OptimizerConfigurationException(string who, string message)
    : MiniHaikuException($"{who}: {message}")
{
    /// <summary>The optimizer or schedule that rejected its arguments.</summary>
    public string Optimizer { get; } = who;
}

/// <summary>
/// <see cref="GradientTransformation.Update(Params, OptState, Params?)"/> was given gradients, a state or parameters that do not fit
/// together: a state made by another optimizer or for other parameters, gradients whose keys or shapes
/// differ from the state's, a missing <c>params</c> argument, or a malformed flattened state.
/// </summary>
/// <param name="message">What does not fit, naming the paths and shapes.</param>
/// <param name="path">The parameter or state entry concerned, if one.</param>
/// <param name="inner">The underlying error, if any.</param>
public sealed class OptimizerStateException(string message, string? path = null, Exception? inner = null) : MiniHaikuException(message, inner)
{
    /// <summary>The parameter path or flattened state key concerned, or null when the whole state is.</summary>
    public string? Path { get; } = path;
}
