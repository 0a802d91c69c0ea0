using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MiniHaiku.Layers;

namespace MiniHaiku.Tests.Properties.Layers;

public class RecurrentProperties
{
    private static Params Init(int kind, bool dynamic, int steps, int hidden)
    {
        var xs = ones(steps, 2, 3);
        Model<Tensor> Unroll<TState>(IRecurrentCore<TState> core, Tensor v) =>
            (dynamic ? Recurrent.DynamicUnroll(core, v, core.InitialState(2)) : Recurrent.StaticUnroll(core, v, core.InitialState(2)))
            .Select(r => r.Outputs);
        var f = Hk.Transform((Tensor v) => kind switch
        {
            0 => LSTM.Create(hidden).SelectMany(c => Unroll(c, v)),
            1 => GRU.Create(hidden).SelectMany(c => Unroll(c, v)),
            _ => VanillaRNN.Create(hidden).SelectMany(c => Unroll(c, v)),
        });
        return f.Init(0, xs);
    }

    [Property(MaxTest = 25)]
    public Property UnrollingTStepsCreatesTheSameParametersAsOneStep(PositiveInt steps, PositiveInt hidden, bool dynamic, NonNegativeInt kind)
    {
        var t = 1 + steps.Get % 12;
        var h = 1 + hidden.Get % 5;
        var k = kind.Get % 3;
        var one = Init(k, dynamic, 1, h);
        var many = Init(k, dynamic, t, h);
        return Prop.ToProperty(one.Count > 0 && one.Shapes().Equals(many.Shapes()) && one.BitwiseEquals(many))
            .Label($"kind {k}, dynamic {dynamic}, T = {t}, hidden {h}");
    }

    private static Tensor Sequence(int seed, long steps, long batch)
    {
        using var g = new torch.Generator((ulong)seed);
        return torch.randn([steps, batch, 3], ScalarType.Float64, generator: g);
    }

    /// <summary>Unrolling in reverse is unrolling the time-flipped sequence, outputs flipped back; AllStates ends in the final state.</summary>
    [Property(MaxTest = 20)]
    public Property ReverseUnrollIsTheFlippedUnrollFlippedBack(PositiveInt seed, PositiveInt steps, PositiveInt batch)
    {
        long t = 1 + steps.Get % 7, b = 1 + batch.Get % 3;
        var xs = Sequence(seed.Get, t, b);
        Transformed<Tensor, UnrollResult<LSTMState>> Unroll(bool reverse) => Hk.Transform((Tensor v) =>
            from core in LSTM.Create(2)
            from r in Recurrent.DynamicUnroll(core, v, core.InitialState(b, ScalarType.Float64), reverse: reverse, returnAllStates: true)
            select r);
        var p = Unroll(false).Init(0, xs);
        var reversed = Unroll(true).Apply(p, xs);
        var flipped = Unroll(false).Apply(p, xs.flip(0));
        var ok = reversed.Outputs.allclose(flipped.Outputs.flip(0), 1e-12, 1e-12)
            && reversed.FinalState.Cell.allclose(flipped.FinalState.Cell, 1e-12, 1e-12)
            && reversed.AllStates!.Cell[0].allclose(reversed.FinalState.Cell, 1e-12, 1e-12)
            && flipped.AllStates!.Hidden.allclose(flipped.Outputs, 1e-12, 1e-12);
        return Prop.ToProperty(ok).Label($"T = {t}, batch {b}");
    }

    /// <summary>A DeepRNN of one core, and a ResetCore that never resets, are that core.</summary>
    [Property(MaxTest = 20)]
    public Property DeepRnnOfOneCoreAndANeverResettingCoreAreTheCore(PositiveInt seed, PositiveInt steps, NonNegativeInt kind)
    {
        long t = 1 + steps.Get % 6;
        var xs = Sequence(seed.Get, t, 2);
        var k = kind.Get % 2;
        var never = torch.zeros([t, 2], dtype: ScalarType.Bool);
        Model<Tensor> Wrapped<TState>(IRecurrentCore<TState> core, Tensor v, int how) => how switch
        {
            0 => Recurrent.DynamicUnroll(core, v, core.InitialState(2, ScalarType.Float64)).Select(r => r.Outputs),
            1 => DeepRNN.Create([RecurrentLayer.Core(core)]).SelectMany(d => Recurrent.DynamicUnroll(d, v, d.InitialState(2, ScalarType.Float64))).Select(r => r.Outputs),
            _ => ResetCore.Create(core).SelectMany(c => Recurrent.DynamicUnroll(c, new ResetInput(v, never), c.InitialState(2, ScalarType.Float64))).Select(r => r.Outputs),
        };
        Transformed<Tensor, Tensor> F(int how) => Hk.Transform((Tensor v) => k == 0
            ? LSTM.Create(3).SelectMany(c => Wrapped(c, v, how))
            : GRU.Create(3).SelectMany(c => Wrapped(c, v, how)));
        var p = F(0).Init(0, xs);
        var plain = F(0).Apply(p, xs);
        var ok = F(1).Init(0, xs).Shapes().Equals(p.Shapes())
            && F(1).Apply(p, xs).allclose(plain, 1e-12, 1e-12)
            && F(2).Apply(p, xs).allclose(plain, 1e-12, 1e-12);
        return Prop.ToProperty(ok).Label($"kind {k}, T = {t}");
    }
}
