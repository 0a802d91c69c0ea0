using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MiniHaiku.Layers;

namespace MiniHaiku.Tests.Properties.Layers;

public class BatchApplyProperties
{
    /// <summary>BatchApply of a last-axis layer equals the layer itself, for any rank and number of merged axes.</summary>
    [Property(MaxTest = 30)]
    public Property MergingLeadingAxesCommutesWithALastAxisLayer(PositiveInt shapeSeed, PositiveInt merge)
    {
        var rank = 2 + shapeSeed.Get % 3;
        var shape = Enumerable.Range(0, rank).Select(i => (long)(1 + (shapeSeed.Get / (i + 2)) % 3)).ToArray();
        var numDims = 1 + merge.Get % (rank - 1);
        using var g = new torch.Generator((ulong)shapeSeed.Get);
        var x = torch.randn(shape, ScalarType.Float64, generator: g);
        var direct = Hk.Transform((Tensor v) => Linear.Create(2).Call(v));
        var batched = Hk.Transform((Tensor v) => BatchApply.Call(h => Linear.Create(2).Call(h), v, numDims));
        var p = direct.Init(0, x);
        var y = batched.Apply(p, x);
        return Prop.ToProperty(y.shape.SequenceEqual(direct.Apply(p, x).shape) && y.allclose(direct.Apply(p, x), 1e-12, 1e-12))
            .Label($"shape {ShapeText.Format(shape)}, numDims {numDims}");
    }
}
