using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class ResetCoreTests
{
    private const int In = 3, H = 4;

    private static Transformed<(Tensor Xs, Tensor Resets), UnrollResult<Tensor, LSTMState>> Reset() =>
        Hk.Transform(((Tensor Xs, Tensor Resets) i) =>
            from lstm in LSTM.Create(H)
            from core in ResetCore.Create(lstm)
            from r in Recurrent.DynamicUnroll(core, new ResetInput(i.Xs, i.Resets), core.InitialState(i.Xs.shape[1], i.Xs.dtype))
            select r);

    private static Transformed<Tensor, UnrollResult<LSTMState>> Plain() =>
        Hk.Transform((Tensor xs) =>
            from lstm in LSTM.Create(H)
            from r in Recurrent.DynamicUnroll(lstm, xs, lstm.InitialState(xs.shape[1], xs.dtype))
            select r);

    [Fact]
    public void AResetStartsThatExampleAfreshAndLeavesTheOthersAlone()
    {
        var xs = Random(1, 5, 2, In);
        var resets = zeros(5, 2, dtype: ScalarType.Bool);
        resets[2, 0] = true;
        var p = Reset().Init(0, (xs, resets));
        Assert.Equal(Plain().Init(0, xs).Shapes(), p.Shapes());   // the wrapper adds no parameters
        var r = Reset().Apply(p, (xs, resets)).Outputs;
        var plain = Plain().Apply(p, xs).Outputs;
        AssertClose(plain[.., 1], r[.., 1], because: "example 1 is never reset");
        AssertClose(plain[..2, 0], r[..2, 0], because: "before the reset");
        var fresh = Plain().Apply(p, xs[2..]).Outputs;
        AssertClose(fresh[.., 0], r[2.., 0], because: "from the reset on, example 0 runs as a new sequence");
        Assert.False(plain[2.., 0].allclose(r[2.., 0]), "the reset must change example 0");
    }

    [Fact]
    public void IntegerFlagsWorkLikeBoolsAndGradientsMatchFiniteDifferences()
    {
        var xs = Random(2, 4, 2, In);
        var flags = tensor(new long[] { 0, 0, 1, 0, 0, 1, 0, 0 }).reshape(4, 2);
        var p = Reset().Init(0, (xs, flags));
        AssertClose(Reset().Apply(p, (xs, flags.to_type(ScalarType.Bool))).Outputs, Reset().Apply(p, (xs, flags)).Outputs);
        var w = Random(3, 4, 2, H);
        AssertMatchesFiniteDifferences(p, q => (Reset().Apply(q, (xs, flags)).Outputs * w).sum());
    }

    [Fact]
    public void FlagsThatDoNotMatchTheBatchAreALayerInputException()
    {
        var xs = Random(4, 3, 2, In);
        var e = Assert.Throws<LayerInputException>(() => Reset().Init(0, (xs, zeros(3, 5, dtype: ScalarType.Bool))));
        Assert.Contains("~/ResetCore_0", e.Message);
        Assert.Contains("does not fit", e.Message);
    }
}
