using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

/// <summary>A core over records: input (value, weight), output (sum, count), state (running sum, steps, a tuple).</summary>
public sealed record WeightedInput(Tensor Value, Tensor Weight);

public sealed record RunningOutput(Tensor Sum, Tensor Mean);

public sealed record RunningState(Tensor Sum, (Tensor Steps, Tensor[] History) Extra);

public sealed record RunningSum(ModuleName Name) : Module(Name), IRecurrentCore<WeightedInput, RunningOutput, RunningState>
{
    public static Model<RunningSum> Create() => Hk.Module(n => new RunningSum(n));

    public Model<CoreOutput<RunningOutput, RunningState>> Call(WeightedInput x, RunningState state) => Method(
        from scale in Hk.GetParam("scale", [x.Value.shape[^1]], Initializers.Ones(), x.Value.dtype)
        let sum = state.Sum + x.Value * x.Weight.unsqueeze(-1) * scale
        let steps = state.Extra.Steps + 1
        select new CoreOutput<RunningOutput, RunningState>(new RunningOutput(sum, sum / steps.unsqueeze(-1)),
            new RunningState(sum, (steps, [state.Extra.History[1], sum]))));

    public RunningState InitialState(long? batchSize, ScalarType dtype = ScalarType.Float32) =>
        new(zeros(batchSize!.Value, 3, dtype: dtype), (zeros(batchSize.Value, dtype: dtype), [zeros(batchSize.Value, 3, dtype: dtype), zeros(batchSize.Value, 3, dtype: dtype)]));
}

public class StructuredRecurrentCoreTests
{
    private static Transformed<WeightedInput, UnrollResult<RunningOutput, RunningState>> Unrolled(bool reverse = false, bool timeMajor = true) =>
        Hk.Transform((WeightedInput xs) =>
            from core in RunningSum.Create()
            from r in Recurrent.DynamicUnroll(core, xs, core.InitialState(xs.Weight.shape[timeMajor ? 1 : 0], xs.Value.dtype), timeMajor, reverse, returnAllStates: true)
            select r);

    [Fact]
    public void RecordInputsAreSlicedAndRecordOutputsAndStatesStackedAlongTime()
    {
        var xs = new WeightedInput(Random(1, 4, 2, 3), Random(2, 4, 2));
        var f = Unrolled();
        var p = f.Init(0, xs);
        Assert.Equal("{'~/RunningSum_0/__call__/scale': (3,)}", p.Shapes().ToString());
        var r = f.Apply(p, xs);
        var expected = (xs.Value * xs.Weight.unsqueeze(-1)).cumsum(0);
        AssertClose(expected, r.Outputs.Sum);
        AssertClose(expected / torch.arange(1, 5, dtype: ScalarType.Float64).reshape(4, 1, 1), r.Outputs.Mean);
        AssertClose(expected[^1], r.FinalState.Sum);
        Assert.Equal([4L, 2], r.AllStates!.Extra.Steps.shape);
        Assert.Equal(2, r.AllStates.Extra.History.Length);
        AssertClose(expected, r.AllStates.Extra.History[1]);
    }

    [Fact]
    public void ReverseAndBatchMajorWorkOnEveryLeafAndGradientsMatchFiniteDifferences()
    {
        var xs = new WeightedInput(Random(3, 2, 4, 3), Random(4, 2, 4));
        var f = Unrolled(reverse: true, timeMajor: false);
        var p = f.Init(0, xs).With("~/RunningSum_0/__call__/scale", Random(5, 3));
        var r = f.Apply(p, xs);
        var expected = (xs.Value * xs.Weight.unsqueeze(-1) * p["~/RunningSum_0/__call__/scale"]).flip(1).cumsum(1).flip(1);
        AssertClose(expected, r.Outputs.Sum);
        AssertClose(expected[.., 0], r.FinalState.Sum, because: "a reversed unroll ends at step 0");
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, xs).Outputs.Mean * Random(6, 2, 4, 3)).sum());
    }

    [Fact]
    public void InputsWithoutACommonTimeAxisAreALayerInputException()
    {
        var e = Assert.Throws<LayerInputException>(() => Unrolled().Init(0, new WeightedInput(Random(1, 4, 2, 3), Random(2, 5, 2))));
        Assert.Contains("~/RunningSum_0", e.Message);
        Assert.Contains("same non-empty time axis", e.Message);
    }
}
