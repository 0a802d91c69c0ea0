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
}
