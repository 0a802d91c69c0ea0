using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MiniHaiku.Optim;

namespace MiniHaiku.Tests.Properties;

/// <summary>Every schedule takes its closed-form values at the boundaries of its phases.</summary>
public class ScheduleProperties
{
    private static bool Near(double expected, double actual) => Math.Abs(expected - actual) <= 1e-12 * (1 + Math.Abs(expected));

    [Property(MaxTest = 60)]
    public Property PolynomialAndLinearHitInitAndEndAtTheirBoundaries(NormalFloat init, NormalFloat end, PositiveInt steps, NonNegativeInt begin, PositiveInt power)
    {
        double i = init.Get, e = end.Get;
        long t = 1 + steps.Get % 1000, b = begin.Get % 1000;
        var pw = 1 + power.Get % 4;
        var poly = Schedule.Polynomial(i, e, pw, t, b);
        var lin = Schedule.Linear(i, e, t, b);
        var ok = Near(i, poly.ValueAt(0)) && Near(i, poly.ValueAt(b)) && Near(e, poly.ValueAt(b + t)) && Near(e, poly.ValueAt(b + t + 7))
            && Near(i, lin.ValueAt(b)) && Near(e, lin.ValueAt(b + t)) && Near(i + (e - i) / t, lin.ValueAt(b + 1));
        return Prop.ToProperty(ok).Label($"init {i}, end {e}, steps {t}, begin {b}, power {pw}");
    }

    [Property(MaxTest = 60)]
    public Property PiecewiseSchedulesTakeTheAccumulatedProductAtEachBoundary(NonEmptyArray<PositiveInt> bounds, NonEmptyArray<PositiveInt> scaleSeeds, NormalFloat init)
    {
        var bs = bounds.Get.Select(b => (long)(b.Get % 500)).Distinct().OrderBy(b => b).ToArray();
        var scales = bs.Select((_, j) => (scaleSeeds.Get[j % scaleSeeds.Get.Length].Get % 7) / 4.0).ToArray();
        var map = bs.Select((b, j) => (b, scales[j])).ToDictionary(x => x.b, x => x.Item2);
        var constant = Schedule.PiecewiseConstant(init.Get, map);
        var linear = Schedule.PiecewiseInterpolate("linear", init.Get, map);
        var cosine = Schedule.PiecewiseInterpolate("cosine", init.Get, map);
        var ok = true;
        var level = init.Get;
        for (var j = 0; j < bs.Length; j++)
        {
            if (bs[j] > 0) ok &= Near(level, constant.ValueAt(bs[j] - 1));
            level *= scales[j];
            ok &= Near(level, constant.ValueAt(bs[j])) && Near(level, linear.ValueAt(bs[j])) && Near(level, cosine.ValueAt(bs[j]));
        }
        ok &= Near(level, linear.ValueAt(bs[^1] + 1000));
        return Prop.ToProperty(ok).Label($"bounds [{string.Join(", ", bs)}], scales [{string.Join(", ", scales)}]");
    }

    [Property(MaxTest = 60)]
    public Property JoinedSchedulesStartEachPhaseAtItsBeginning(PositiveInt warmup, PositiveInt transition, NormalFloat init, NormalFloat peak, PositiveInt cycleA, PositiveInt cycleB)
    {
        long w = warmup.Get % 200, tr = 1 + transition.Get % 50;
        double i = init.Get, pk = Math.Abs(peak.Get) + 0.5;
        var wed = Schedule.WarmupExponentialDecay(i, pk, w, tr, 0.5);
        var wc = Schedule.WarmupConstant(i, pk, w);
        long a = 1 + cycleA.Get % 100, b = 1 + cycleB.Get % 100;
        var sgdr = Schedule.Sgdr([new SgdrCycle(i, pk, 0, a, EndValue: 0.1), new SgdrCycle(2 * pk, 2 * pk, 0, b)]);
        var ok = Near(w == 0 ? pk : i, wed.ValueAt(0)) && Near(pk, wed.ValueAt(w)) && Near(pk / 2, wed.ValueAt(w + tr))
            && Near(pk, wc.ValueAt(w)) && Near(pk, wc.ValueAt(w + 100))
            && Near(pk, sgdr.ValueAt(0)) && Near(2 * pk, sgdr.ValueAt(a)) && Near(0.0, sgdr.ValueAt(a + b));
        return Prop.ToProperty(ok).Label($"warmup {w}, transition {tr}, init {i}, peak {pk}, cycles {a}, {b}");
    }

    [Property(MaxTest = 60)]
    public Property OnecycleSchedulesPeakAtPctStartAndEndAtTheFinalValue(PositiveInt steps, NormalFloat peak, PositiveInt pct)
    {
        long t = 100 + steps.Get % 10_000; // so that pctStart·t ≥ 5: a peak at count 0 would start the cycle at the peak, as in Optax
        var pk = Math.Abs(peak.Get) + 0.1;
        var start = 0.05 + (pct.Get % 50) / 100.0;
        var cosine = Schedule.CosineOnecycle(t, pk, start);
        var linear = Schedule.LinearOnecycle(t, pk, start, pctFinal: 0.9);
        long peakAt = (long)(start * t), finalAt = (long)(0.9 * t);
        var ok = Near(pk / 25, cosine.ValueAt(0)) && Near(pk, cosine.ValueAt(peakAt)) && Near(pk / 25 / 1e4, cosine.ValueAt(t))
            && Near(pk / 25, linear.ValueAt(0)) && Near(pk, linear.ValueAt(peakAt)) && Near(pk / 25, linear.ValueAt(finalAt))
            && Near(pk / 25 / 1e4, linear.ValueAt(t)) && Near(pk / 25 / 1e4, linear.ValueAt(t + 5));
        return Prop.ToProperty(ok).Label($"steps {t}, peak {pk}, pctStart {start}");
    }
}
