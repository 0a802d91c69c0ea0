namespace MiniHaiku;

/// <summary>Formats shapes the way Python prints tuples: <c>(3, 4)</c>, <c>(4,)</c>, <c>()</c>.</summary>
public static class ShapeText
{
    /// <summary>Formats a shape like a Python tuple.</summary>
    /// <param name="shape">The dimensions.</param>
    /// <returns>For example <c>(3, 4)</c> or <c>(4,)</c>.</returns>
    public static string Format(IReadOnlyList<long> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return shape.Count switch
        {
            0 => "()",
            1 => $"({shape[0]},)",
            _ => "(" + string.Join(", ", shape) + ")",
        };
    }

    internal static bool SameShape(ReadOnlySpan<long> a, ReadOnlySpan<long> b) => a.SequenceEqual(b);
}
