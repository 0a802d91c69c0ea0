using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class IdentityCoreTests
{
    [Fact]
    public void UnrollReturnsTheSequenceAndKeepsTheEmptyState()
    {
        var xs = Random(1, 4, 2, 3);
        var f = Hk.Transform((Tensor x) =>
            from core in IdentityCore.Create()
            from r in Recurrent.DynamicUnroll(core, x, core.InitialState(2), returnAllStates: true)
            select r);
        var p = f.Init(0, xs);
        Assert.Empty(p);
        var r = f.Apply(p, xs);
        AssertClose(xs, r.Outputs);
        Assert.Same(EmptyState.Value, r.FinalState);
        Assert.Equal(EmptyState.Value, r.AllStates);
    }

    [Fact]
    public void InDeepRnnItPassesItsInputOnAndAddsAnEmptyState()
    {
        var x = Random(2, 2, 3);
        var f = Hk.Transform((Tensor input) =>
            from id in IdentityCore.Create()
            from deep in DeepRNN.Create([RecurrentLayer.Core(id), RecurrentLayer.Function(torch.tanh)])
            from r in deep.Call(input, deep.InitialState(2))
            select r);
        var r = f.Apply(Params.Empty, x);
        AssertClose(torch.tanh(x), r.Output);
        Assert.IsType<EmptyState>(Assert.Single(r.State.States));
    }
}
