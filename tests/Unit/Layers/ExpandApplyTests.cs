using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class ExpandApplyTests
{
    [Fact]
    public void AddsAndRemovesASizeOneAxisFirstOrLast()
    {
        var x = Random(1, 2, 3);
        var seen = new List<long[]>();
        Model<Tensor> Record(Tensor t)
        {
            seen.Add(t.shape);
            return Hk.Pure(t * 2);
        }
        var first = Hk.Transform((Tensor v) => ExpandApply.Call(Record, v)).Apply(Params.Empty, x);
        var last = Hk.Transform((Tensor v) => ExpandApply.Call(Record, v, axis: -1)).Apply(Params.Empty, x);
        Assert.Equal([1L, 2, 3], seen[0]);
        Assert.Equal([2L, 3, 1], seen[1]);
        AssertClose(x * 2, first);
        AssertClose(x * 2, last);
    }

    [Fact]
    public void AppliesATimeMajorFunctionToOneStep()
    {
        // A function of [T, B, F] (sum over time) applied to a single step [B, F].
        var step = Random(2, 4, 3);
        var y = Hk.Transform((Tensor v) => ExpandApply.Call(t => Hk.Pure(t.cumsum(0)), v)).Apply(Params.Empty, step);
        AssertClose(step, y);
    }

    [Fact]
    public void BadAxesAndOutputsAreExplained()
    {
        Assert.Contains("axis 0 or -1", Assert.Throws<LayerConfigurationException>(() => ExpandApply.Call(Hk.Pure, ones(2), axis: 1)).Message);
        var e = Assert.Throws<LayerInputException>(() => Hk.Transform((Tensor v) => ExpandApply.Call(t => Hk.Pure(t.sum(0)), v)).Apply(Params.Empty, ones(2, 3)));
        Assert.Contains("no size-1 axis at 0", e.Message);
    }
}
