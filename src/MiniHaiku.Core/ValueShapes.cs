using System.Collections;
using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku;

/// <summary>Describes values by dtype and shape the way Haiku's tabulate does: <c>f32[8, 3]</c>.</summary>
public static class ValueShapes
{
    /// <summary>
    /// Describes <paramref name="value"/>: a tensor as <c>f32[8, 3]</c>, a tuple or list element by
    /// element in parentheses, anything else by its type name.
    /// </summary>
    /// <param name="value">The value.</param>
    /// <returns>The description.</returns>
    public static string Describe(object? value) => value switch
    {
        null => "None",
        Tensor t => DTypeName(t.dtype) + "[" + string.Join(", ", t.shape) + "]",
        ITuple tuple => "(" + string.Join(", ", Enumerable.Range(0, tuple.Length).Select(i => Describe(tuple[i]))) + ")",
        string s => s,
        IEnumerable items => "[" + string.Join(", ", items.Cast<object?>().Select(Describe)) + "]",
        _ => value.GetType().Name,
    };

    /// <summary>The short dtype name used by <see cref="Describe"/>, e.g. <c>f32</c>, <c>i64</c>, <c>bool</c>.</summary>
    /// <param name="dtype">The dtype.</param>
    /// <returns>The short name.</returns>
    public static string DTypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "f32",
        ScalarType.Float64 => "f64",
        ScalarType.Float16 => "f16",
        ScalarType.BFloat16 => "bf16",
        ScalarType.Int64 => "i64",
        ScalarType.Int32 => "i32",
        ScalarType.Int16 => "i16",
        ScalarType.Int8 => "i8",
        ScalarType.Byte => "u8",
        ScalarType.Bool => "bool",
        _ => dtype.ToString(),
    };
}
