using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// Flattens all but the first <see cref="PreserveDims"/> axes (Haiku's <c>hk.Flatten</c>):
/// <c>[B, H, W, C]</c> becomes <c>[B, H·W·C]</c>. Has no parameters. An input with no more than
/// <see cref="PreserveDims"/> axes is returned unchanged. A negative <see cref="PreserveDims"/> is, as in Haiku, the
/// number of trailing axes to flatten: <c>-2</c> turns <c>[B, H, W]</c> into <c>[B, H·W]</c> and <c>[H, W]</c> into
/// <c>[H·W]</c>, so the same module handles batched and single inputs.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="PreserveDims">How many leading axes to keep.</param>
/// <example>
/// <code>
/// return Flatten.Create().Call(x);          // [N, H, W, C] → [N, H·W·C]
/// </code>
/// </example>
public sealed record Flatten(ModuleName Name, int PreserveDims) : Layer(Name)
{
    /// <summary>Creates a flatten module.</summary>
    /// <param name="preserveDims">How many leading axes to keep (at least 1), or minus the number of trailing axes to flatten.</param>
    /// <param name="name">An explicit module name, or null for <c>Flatten_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<Flatten> Create(int preserveDims = 1, string? name = null)
    {
        if (preserveDims == 0) throw new LayerConfigurationException(nameof(Flatten), "preserveDims must be non-zero: positive keeps leading axes, negative flattens that many trailing axes.");
        return Hk.Module(n => new Flatten(n, preserveDims), name);
    }

    /// <summary>Flattens the trailing axes.</summary>
    /// <param name="x">The input.</param>
    /// <returns>A model producing the flattened input.</returns>
    protected override Model<Tensor> Forward(Tensor x)
    {
        var shape = x.shape;
        if (shape.Length <= PreserveDims) return Hk.Pure(x);
        var keep = PreserveDims > 0 ? PreserveDims : Math.Max(shape.Length + PreserveDims, 0);
        long rest = 1;
        for (var i = keep; i < shape.Length; i++) rest *= shape[i];
        return Hk.Pure(x.reshape([.. shape[..keep], rest]));
    }
}
