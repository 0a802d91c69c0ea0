namespace MiniHaiku;

/// <summary>
/// <see cref="Grad"/> was asked to differentiate something it cannot: a non-scalar or non-floating
/// loss, or a non-floating parameter. Raised before TorchSharp's autograd is called (an error inside
/// it would abort the process).
/// </summary>
public sealed class GradientException(string message) : MiniHaikuException(message);
