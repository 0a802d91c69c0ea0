using TorchSharp;

namespace MiniHaiku.Checkpoints;

/// <summary>The dtype names of the safetensors format and their TorchSharp equivalents.</summary>
public static class SafeTensorsDType
{
    private static readonly (string Name, torch.ScalarType Type, int Size)[] Table =
    [
        ("F64", torch.ScalarType.Float64, 8),
        ("F32", torch.ScalarType.Float32, 4),
        ("F16", torch.ScalarType.Float16, 2),
        ("BF16", torch.ScalarType.BFloat16, 2),
        ("I64", torch.ScalarType.Int64, 8),
        ("I32", torch.ScalarType.Int32, 4),
        ("I16", torch.ScalarType.Int16, 2),
        ("I8", torch.ScalarType.Int8, 1),
        ("U8", torch.ScalarType.Byte, 1),
        ("BOOL", torch.ScalarType.Bool, 1),
    ];

    /// <summary>Every supported TorchSharp dtype.</summary>
    public static IReadOnlyList<torch.ScalarType> Supported { get; } = Table.Select(t => t.Type).ToArray();

    /// <summary>The safetensors name of <paramref name="type"/> (e.g. <c>F32</c>), or null when unsupported.</summary>
    /// <param name="type">The TorchSharp dtype.</param>
    /// <returns>The name, or null.</returns>
    public static string? NameOf(torch.ScalarType type)
    {
        foreach (var t in Table) if (t.Type == type) return t.Name;
        return null;
    }

    /// <summary>Looks up a safetensors dtype name.</summary>
    /// <param name="name">The name, e.g. <c>F32</c>.</param>
    /// <param name="type">The TorchSharp dtype.</param>
    /// <param name="size">Bytes per element.</param>
    /// <returns>Whether the name is supported.</returns>
    public static bool TryParse(string name, out torch.ScalarType type, out int size)
    {
        foreach (var t in Table)
            if (t.Name == name)
            {
                (type, size) = (t.Type, t.Size);
                return true;
            }
        (type, size) = (default, 0);
        return false;
    }
}
