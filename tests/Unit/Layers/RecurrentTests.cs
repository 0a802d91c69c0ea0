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

    private static Transformed<Tensor, UnrollResult<LSTMState>> LstmWith(bool reverse, bool returnAllStates, bool timeMajor = true) =>
        Hk.Transform((Tensor xs) =>
            from core in LSTM.Create(4)
            from r in Recurrent.DynamicUnroll(core, xs, core.InitialState(xs.shape[timeMajor ? 1 : 0], xs.dtype), timeMajor, reverse, returnAllStates)
            select r);

    [Fact]
    public void ReverseUnrollEqualsTheForwardUnrollOfTheFlippedSequenceFlippedBack()
    {
        var xs = Random(11, 5, 2, 3);
        var p = LstmWith(false, false).Init(0, xs);
        var reversed = LstmWith(reverse: true, returnAllStates: false).Apply(p, xs);
        var forwardOfFlipped = LstmWith(false, false).Apply(p, xs.flip(0));
        AssertClose(forwardOfFlipped.Outputs.flip(0), reversed.Outputs);
        AssertClose(forwardOfFlipped.FinalState.Cell, reversed.FinalState.Cell);
        Assert.False(reversed.Outputs.allclose(LstmWith(false, false).Apply(p, xs).Outputs), "reverse must change the result for a non-symmetric sequence");
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void ReturnAllStatesStacksEveryStepsStateLikeTheOutputs(bool timeMajor, bool reverse)
    {
        var xs = timeMajor ? Random(12, 5, 2, 3) : Random(12, 2, 5, 3);
        var f = LstmWith(reverse, returnAllStates: true, timeMajor);
        var r = f.Apply(f.Init(0, xs), xs);
        var all = r.AllStates!;
        long[] expected = timeMajor ? [5, 2, 4] : [2, 5, 4];
        Assert.Equal(expected, all.Hidden.shape);
        Assert.Equal(expected, all.Cell.shape);
        AssertClose(r.Outputs, all.Hidden, because: "an LSTM's output is its hidden state");
        var axis = timeMajor ? 0 : 1;
        var lastStep = reverse ? 0 : 4;
        AssertClose(r.FinalState.Cell, all.Cell.select(axis, lastStep), because: "the last state computed is the final state");
        Assert.Null(LstmWith(reverse, returnAllStates: false, timeMajor).Apply(f.Init(0, xs), xs).AllStates);
    }

    [Fact]
    public void GradientsThroughAReversedUnrollMatchFiniteDifferences()
    {
        var xs = Random(13, 3, 2, 3);
        var f = LstmWith(reverse: true, returnAllStates: true);
        var p = f.Init(0, xs);
        var r = Random(14, 3, 2, 4);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, xs).AllStates!.Cell * r).sum());
    }

    [Fact]
    public void OneGenericExtensionCreatesAndStepsEveryCore()
    {
        // Call<TCore, TState>(this Model<TCore>, x, state) infers the state type from the core's IRecurrentCore<TState>.
        var x = Random(2, 2, 3);
        var gru = Hk.Transform((Tensor v) => GRU.Create(4).Call(v, zeros(2, 4, dtype: v.dtype)).Select(r => r.Output));
        var gruTwoSteps = Hk.Transform((Tensor v) => from core in GRU.Create(4) from r in core.Call(v, zeros(2, 4, dtype: v.dtype)) select r.Output);
        var p = gru.Init(0, x);
        AssertClose(gruTwoSteps.Apply(p, x), gru.Apply(p, x));
        var lstm = Hk.Transform((Tensor v) => LSTM.Create(4).Call(v, new LSTMState(zeros(2, 4, dtype: v.dtype), zeros(2, 4, dtype: v.dtype))).Select(r => r.State.Cell));
        Assert.Equal([2L, 4], lstm.Apply(lstm.Init(0, x), x).shape);
        var identity = Hk.Transform((Tensor v) => IdentityCore.Create().Call(v, EmptyState.Value).Select(r => r.Output));
        Assert.Same(x, identity.Apply(Params.Empty, x));
    }
}
