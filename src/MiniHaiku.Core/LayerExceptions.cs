namespace MiniHaiku;

/// <summary>A layer was created with arguments it cannot work with (e.g. a negative size or a dropout rate above 1).</summary>
/// <param name="layer">The layer type, e.g. <c>Linear</c>.</param>
/// <param name="message">What is wrong and how to fix it.</param>
public sealed class LayerConfigurationException(string layer, string message)
    : MiniHaikuException($"{layer}: {message}")
{
    /// <summary>The layer type that rejected its arguments.</summary>
    public string Layer { get; } = layer;
}

/// <summary>A layer was called on an input it cannot handle (wrong rank, channel count or index range).</summary>
/// <param name="path">The module path (or function name) that rejected the input.</param>
/// <param name="message">What is wrong and how to fix it.</param>
public sealed class LayerInputException(string path, string message)
    : MiniHaikuException($"'{path}': {message}")
{
    /// <summary>The module path (or function name) that rejected the input.</summary>
    public string Path { get; } = path;
}
