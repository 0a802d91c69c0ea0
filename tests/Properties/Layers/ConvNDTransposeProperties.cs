using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MiniHaiku.Layers;

namespace MiniHaiku.Tests.Properties.Layers;

public class ConvNDTransposeProperties
{
    /// <summary>
    /// For any N, kernel, stride, input size and SAME/VALID: the output has in·s (SAME) or in·s + max(k − s, 0) (VALID)
    /// positions per axis, and asking for exactly that outputShape gives the same values (Haiku's adjusted padding
    /// agrees with lax.conv_transpose's padding strings).
    /// </summary>
    [Property(MaxTest = 30)]
    public Property OutputShapeEqualToTheDefaultChangesNothing(PositiveInt n, PositiveInt k, PositiveInt s, PositiveInt size, bool same)
    {
        int dims = 1 + n.Get % 3, kernel = 1 + k.Get % 4, stride = 1 + s.Get % 3;
        long length = 1 + size.Get % 4;
        var padding = same ? Pad.Same : Pad.Valid;
        var expected = same ? length * stride : length * stride + Math.Max(kernel - stride, 0);
        using var g = new torch.Generator((ulong)(n.Get + 31 * size.Get));
        var x = torch.randn([1, .. Enumerable.Repeat(length, dims), 2], ScalarType.Float64, generator: g);
        var plain = Hk.Transform((Tensor v) => ConvNDTranspose.Create(dims, 3, [kernel], [stride], padding: padding).Call(v));
        var shaped = Hk.Transform((Tensor v) => ConvNDTranspose.Create(dims, 3, [kernel], [stride], [(int)expected], padding).Call(v));
        var p = plain.Init(0, x);
        var y = plain.Apply(p, x);
        var z = shaped.Apply(p, x);
        var shapeOk = y.shape.SequenceEqual([1L, .. Enumerable.Repeat(expected, dims), 3]);
        return Prop.ToProperty(shapeOk && y.shape.SequenceEqual(z.shape) && y.allclose(z, 1e-12, 1e-12))
            .Label($"N {dims}, k {kernel}, s {stride}, in {length}, {padding} → {ShapeText.Format(y.shape)} / {ShapeText.Format(z.shape)}");
    }
}
