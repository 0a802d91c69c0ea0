using MiniHaiku.Layers;
using Linear = MiniHaiku.Layers.Linear;

namespace MiniHaiku.Tests;

/// <summary>Hk.EvalShape: Init's shapes and the output shape, on the meta device.</summary>
public class HkEvalShapeTests
{
    [Fact]
    public void EvalShapeGivesInitsShapesAndTheOutputShapeWithoutAllocating()
    {
        var f = Hk.Transform((Tensor x) =>
            from l1 in Linear.Create(64)
            from h in l1.Call(x)
            from l2 in Linear.Create(10)
            from y in l2.Call(torch.tanh(h))
            select y);
        var shapes = Hk.EvalShape(f, [8, 100]);
        Assert.Equal(f.Init(0, ones(8, 100)).Shapes(), shapes.Shapes);
        Assert.Equal([8L, 10L], shapes.Output.shape);
        Assert.All(shapes.Params.Values, t => Assert.Equal(DeviceType.META, t.device_type));
        Assert.Equal(DeviceType.META, shapes.Output.device_type);
        // A model far too big to allocate is fine: 1e6 × 1e6 floats would be 4 TB.
        var huge = Hk.Transform((Tensor x) => from l in Linear.Create(1_000_000) from y in l.Call(x) select y);
        var big = Hk.EvalShape(huge, [2, 1_000_000]);
        Assert.Equal([1_000_000L, 1_000_000L], big.Shapes["~/Linear_0/__call__/w"]);
        Assert.Equal([2L, 1_000_000L], big.Output.shape);
    }

    [Fact]
    public void EvalShapeOfAStatefulModelGivesTheStateShapesToo()
    {
        var f = Hk.TransformWithState((Tensor x) =>
            from l in Linear.Create(5)
            from y in l.Call(x)
            from total in Hk.GetState("total", [5], Initializers.Zeros())
            from _ in Hk.SetState("total", total + y.sum(0L, false))
            select y);
        var shapes = Hk.EvalShape(f, torch.empty(3, 4, device: torch.META));
        var (p, s) = f.Init(0, ones(3, 4));
        Assert.Equal(p.Shapes(), shapes.Shapes);
        Assert.Equal(s.Shapes(), shapes.State.Shapes());
        Assert.Equal(DeviceType.META, shapes.State["~/total"].device_type);
        Assert.Equal([3L, 5L], shapes.Output.shape);
    }

    [Fact]
    public void AnOperatorWithoutAMetaKernelIsExplained()
    {
        var f = Hk.Transform((Tensor x) => from l in Linear.Create(3) from y in l.Call(x) select Activations.Relu(y));
        var e = Assert.Throws<ModelUsageException>(() => Hk.EvalShape(f, [2, 4]));
        Assert.StartsWith("Hk.EvalShape could not run the model on the meta device: aten::relu", e.Message);
    }
}
