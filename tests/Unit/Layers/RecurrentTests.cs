using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class RecurrentTests
{
    private static Transformed<Tensor, UnrollResult<LSTMState>> Lstm(bool dynamic, bool timeMajor = true) =>
        Hk.Transform((Tensor xs) =>
            from core in LSTM.Create(4)
            from r in dynamic
                ? Recurrent.DynamicUnroll(core, xs, core.InitialState(xs.shape[timeMajor ? 1 : 0], xs.dtype), timeMajor)
                : Recurrent.StaticUnroll(core, xs, core.InitialState(xs.shape[timeMajor ? 1 : 0], xs.dtype), timeMajor)
            select r);

    [Fact]
    public void StaticAndDynamicUnrollAgreeOnParametersAndValues()
    {
        var xs = Random(1, 6, 2, 3);
        var p = Lstm(dynamic: true).Init(0, xs);
        Assert.Equal(p.Shapes(), Lstm(dynamic: false).Init(0, xs).Shapes());
        var a = Lstm(dynamic: true).Apply(p, xs);
        var b = Lstm(dynamic: false).Apply(p, xs);
        AssertClose(a.Outputs, b.Outputs);
        AssertClose(a.FinalState.Cell, b.FinalState.Cell);
    }

    [Fact]
    public void StepByStepCallsEqualTheUnroll()
    {
        var xs = Random(2, 3, 2, 3);
        var manual = Hk.Transform((Tensor v) =>
            from core in LSTM.Create(4)
            from s1 in core.Call(v[0], core.InitialState(2, v.dtype))
            from s2 in core.Call(v[1], s1.State)
            from s3 in core.Call(v[2], s2.State)
            select torch.stack([s1.Output, s2.Output, s3.Output], 0));
        var p = Lstm(dynamic: true).Init(0, xs);
        AssertClose(manual.Apply(p, xs), Lstm(dynamic: true).Apply(p, xs).Outputs);
    }

    [Fact]
    public void BatchMajorIsTheTransposeOfTimeMajor()
    {
        var xs = Random(3, 4, 2, 3);
        var p = Lstm(dynamic: true).Init(0, xs);
        var timeMajor = Lstm(dynamic: true).Apply(p, xs).Outputs;
        var batchMajor = Lstm(dynamic: true, timeMajor: false).Apply(p, xs.transpose(0, 1)).Outputs;
        AssertClose(timeMajor, batchMajor.transpose(0, 1));
    }

    [Fact]
    public void EmptySequencesAreExplained()
    {
        var e = Assert.Throws<LayerInputException>(() => Lstm(dynamic: true).Init(0, zeros(0, 2, 3)));
        Assert.Contains("time axis", e.Message);
    }

    [Fact]
    public void StatesOfTheWrongShapeAreExplained()
    {
        var lstm = Hk.Transform((Tensor x) => from c in LSTM.Create(4) from r in c.Call(x, c.InitialState(3)) select r.Output);
        Assert.Contains("InitialState", Assert.Throws<LayerInputException>(() => lstm.Init(0, ones(2, 5))).Message);
        var gru = Hk.Transform((Tensor x) => from c in GRU.Create(4) from r in c.Call(x, zeros(2, 5)) select r.Output);
        Assert.Throws<LayerInputException>(() => gru.Init(0, ones(2, 5)));
        var rnn = Hk.Transform((Tensor x) => from c in VanillaRNN.Create(4) from r in c.Call(x, c.InitialState(null)) select r.Output);
        Assert.Throws<LayerInputException>(() => rnn.Init(0, ones(2, 5)));
    }
}
