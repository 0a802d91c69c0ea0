using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class DeepRNNTests
{
    private const int In = 3, H1 = 4, H2 = 2;

    // LSTM(4) → relu → Linear(5) (created inside the DeepRNN) → GRU(2).
    private static Transformed<Tensor, UnrollResult<DeepRNNState>> Deep() =>
        Hk.Transform((Tensor xs) =>
            from lstm in LSTM.Create(H1)
            from gru in GRU.Create(H2)
            from deep in DeepRNN.Create([
                RecurrentLayer.Core(lstm),
                RecurrentLayer.Function(Activations.Relu),
                RecurrentLayer.Layer(x => Linear.Create(5).Call(x)),
                RecurrentLayer.Core(gru)])
            from r in Recurrent.DynamicUnroll(deep, xs, deep.InitialState(xs.shape[1], xs.dtype))
            select r);

    // The same computation written out by hand, step by step, with the same module names (the Linear by hand from p).
    private static Transformed<Tensor, Tensor> ByHand(Params p) =>
        Hk.Transform((Tensor xs) =>
            from lstm in LSTM.Create(H1)
            from gru in GRU.Create(H2)
            from outs in Hk.Aggregate(xs.unbind(0), (S1: lstm.InitialState(xs.shape[1], xs.dtype), S2: gru.InitialState(xs.shape[1], xs.dtype), Ys: new List<Tensor>()),
                (acc, x) =>
                    from a in lstm.Call(x, acc.S1)
                    let l = Activations.Relu(a.Output).matmul(p["~/DeepRNN_0/__call__/Linear_0/__call__/w"]) + p["~/DeepRNN_0/__call__/Linear_0/__call__/b"]
                    from b in gru.Call(l, acc.S2)
                    select (a.State, b.State, acc.Ys.Append(b.Output).ToList()))
            select torch.stack(outs.Ys, 0)).AllowUnusedParams();

    [Fact]
    public void CoresKeepTheirPathsAndFunctionsCreateModulesInsideTheDeepRnn()
    {
        var p = Deep().Init(0, Random(1, 2, 2, In));
        Assert.Equal(
            "{'~/DeepRNN_0/__call__/Linear_0/__call__/b': (5,), '~/DeepRNN_0/__call__/Linear_0/__call__/w': (4, 5), " +
            "'~/GRU_0/__call__/b': (6,), '~/GRU_0/__call__/w_h': (2, 6), '~/GRU_0/__call__/w_i': (5, 6), " +
            "'~/LSTM_0/__call__/linear/__call__/b': (16,), '~/LSTM_0/__call__/linear/__call__/w': (7, 16)}",
            p.Shapes().ToString());
    }

    [Fact]
    public void StackedOutputEqualsTheLayersAppliedOneAfterAnother()
    {
        var xs = Random(2, 4, 2, In);
        var p = Deep().Init(0, xs);
        var r = Deep().Apply(p, xs);
        Assert.Equal([4L, 2, H2], r.Outputs.shape);
        AssertClose(ByHand(p).Apply(p, xs), r.Outputs);
        Assert.Equal(2, r.FinalState.States.Length);
        Assert.Equal([2L, H1], r.FinalState.Get<LSTMState>(0).Cell.shape);
        AssertClose(r.Outputs[^1], r.FinalState.Get<Tensor>(1), because: "the GRU's state is its output");
    }

    private static Transformed<Tensor, UnrollResult<DeepRNNState>> Skip() =>
        Hk.Transform((Tensor xs) =>
            from a in LSTM.Create(H1)
            from b in LSTM.Create(H2)
            from deep in DeepRNN.CreateWithSkipConnections([RecurrentLayer.Core(a), RecurrentLayer.Core(b)])
            from r in Recurrent.DynamicUnroll(deep, xs, deep.InitialState(xs.shape[1], xs.dtype))
            select r);

    [Fact]
    public void SkipConnectionsFeedTheInputToEveryCoreAndConcatenateAllOutputs()
    {
        var xs = Random(3, 3, 2, In);
        var f = Skip();
        var p = f.Init(0, xs);
        Assert.Equal([(long)In + H1 + H2, 4 * H2], p["~/LSTM_1/__call__/linear/__call__/w"].shape);
        var r = f.Apply(p, xs);
        Assert.Equal([3L, 2, H1 + H2], r.Outputs.shape);

        var byHand = Hk.Transform((Tensor s) =>
            from a in LSTM.Create(H1)
            from b in LSTM.Create(H2)
            from ra in Recurrent.DynamicUnroll(a, s, a.InitialState(2, s.dtype))
            from rb in Recurrent.DynamicUnroll(b, torch.cat([s, ra.Outputs], -1), b.InitialState(2, s.dtype))
            select torch.cat([ra.Outputs, rb.Outputs], -1)).Apply(p, xs);
        AssertClose(byHand, r.Outputs);
    }

    [Fact]
    public void GradientsThroughTheStackMatchFiniteDifferences()
    {
        var xs = Random(4, 3, 2, In);
        var p = Skip().Init(0, xs);
        var w = Random(5, 3, 2, H1 + H2);
        AssertMatchesFiniteDifferences(p, q => (Skip().Apply(q, xs).Outputs * w).sum());
        var q0 = Deep().Init(0, xs);
        var w2 = Random(6, 3, 2, H2);
        AssertMatchesFiniteDifferences(q0, q => (Deep().Apply(q, xs).Outputs * w2).sum());
    }

    [Fact]
    public void SkipConnectionsNeedCoresAndTheStateMustHaveOneEntryPerCore()
    {
        var withFunction = Hk.Transform((int _) =>
            from a in LSTM.Create(H1)
            from deep in DeepRNN.CreateWithSkipConnections([RecurrentLayer.Core(a), RecurrentLayer.Function(Activations.Relu)])
            select deep);
        var e = Assert.Throws<LayerConfigurationException>(() => withFunction.Init(0, 0));
        Assert.Contains("layer 1 is a function", e.Message);

        var badState = Hk.Transform((Tensor x) =>
            from a in LSTM.Create(H1)
            from deep in DeepRNN.Create([RecurrentLayer.Core(a)])
            from r in deep.Call(x, new DeepRNNState([]))
            select r.Output);
        var e2 = Assert.Throws<LayerInputException>(() => badState.Init(0, ones(2, In)));
        Assert.Contains("~/DeepRNN_0", e2.Message);
        Assert.Contains("1 cores but its state holds 0", e2.Message);
    }
}
