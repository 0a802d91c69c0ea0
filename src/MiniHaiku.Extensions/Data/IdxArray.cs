namespace MiniHaiku.Data;

/// <summary>The content of an IDX file of unsigned bytes: its dimensions and its data in row-major order.</summary>
/// <param name="Shape">The dimensions, outermost first (e.g. [count, rows, columns] for images).</param>
/// <param name="Data">The elements, row-major; its length is the product of <paramref name="Shape"/>.</param>
public sealed record IdxArray(int[] Shape, byte[] Data)
{
    /// <summary>The number of elements (the product of the dimensions).</summary>
    public long ElementCount => Data.LongLength;
}
