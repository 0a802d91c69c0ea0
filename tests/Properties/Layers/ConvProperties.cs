using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MiniHaiku.Layers;

namespace MiniHaiku.Tests.Properties.Layers;

public class ConvProperties
{
    /// <summary>SAME padding gives ⌈in / stride⌉ positions for any kernel, stride, dilation and size.</summary>
    [Property(MaxTest = 40)]
    public Property SameConvolutionHasCeilOfInputOverStridePositions(PositiveInt h, PositiveInt w, PositiveInt k, PositiveInt s, PositiveInt d)
    {
        long height = 1 + h.Get % 9, width = 1 + w.Get % 9;
        int kernel = 1 + k.Get % 4, stride = 1 + s.Get % 3, dilation = 1 + d.Get % 2;
        var f = Hk.Transform((Tensor x) => Conv2D.Create(2, kernel, stride, Pad.Same, dilation).Call(x));
        var x = ones(1, height, width, 1);
        var y = f.Apply(f.Init(0, x), x);
        long Ceil(long n) => (n + stride - 1) / stride;
        return Prop.ToProperty(y.shape.SequenceEqual(new[] { 1L, Ceil(height), Ceil(width), 2L }))
            .Label($"in ({height}, {width}), k {kernel}, s {stride}, d {dilation} → {ShapeText.Format(y.shape)}");
    }
}
