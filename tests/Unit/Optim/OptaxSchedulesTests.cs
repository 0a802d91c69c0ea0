using MiniHaiku.Optim;

namespace MiniHaiku.Tests.Optim;

/// <summary>The schedules added after Optax, against the values in Optax's own docstring examples and hand computations.</summary>
public class OptaxSchedulesTests
{
    [Theory]
    [InlineData(0, 1.0)]
    [InlineData(5, 1.0)]
    [InlineData(6, 0.9803)]
    [InlineData(104, 0.0101)]
    [InlineData(105, 0.0100)]
    [InlineData(110, 0.0100)]
    public void PolynomialMatchesOptaxDocExample(long count, double expected) =>
        Assert.Equal(expected, Schedule.Polynomial(1.0, 0.01, 2, 100, transitionBegin: 5).ValueAt(count), 4);

    [Fact]
    public void PolynomialDegenerateArgumentsFollowOptax()
    {
        Assert.Equal(3.0, Schedule.Polynomial(3, 1, 2, 0).ValueAt(50)); // non-positive steps: constant init
        Assert.Equal(2.0, Schedule.Polynomial(3, 1, 1, 2, transitionBegin: -4).ValueAt(1)); // negative begin: 0
    }

    [Fact]
    public void LinearAndWarmupConstantInterpolateThenHold()
    {
        var s = Schedule.Linear(1.0, 0.0, 4, transitionBegin: 2);
        Assert.Equal([1.0, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0], Enumerable.Range(0, 8).Select(c => s.ValueAt(c)));
        var w = Schedule.WarmupConstant(0.0, 2.0, 4);
        Assert.Equal([0.0, 0.5, 1.0, 1.5, 2.0, 2.0], Enumerable.Range(0, 6).Select(c => w.ValueAt(c)));
    }

    [Theory]
    [InlineData(50, 1.0)]
    [InlineData(99, 1.0)]
    [InlineData(100, 0.1)]
    [InlineData(150, 0.1)]
    [InlineData(200, 0.001)]
    [InlineData(250, 0.001)]
    public void PiecewiseConstantMatchesOptaxDocExample(long count, double expected) =>
        Assert.Equal(expected, Schedule.PiecewiseConstant(1.0, new Dictionary<long, double> { [100] = 0.1, [200] = 0.01 }).ValueAt(count), 12);

    [Fact]
    public void PiecewiseConstantRejectsNegativeScales() =>
        Assert.Throws<OptimizerConfigurationException>(() => Schedule.PiecewiseConstant(1, new Dictionary<long, double> { [1] = -1 }));

    [Theory]
    [InlineData(0, 1.0)]
    [InlineData(2, 0.55)]
    [InlineData(4, 0.1)]
    [InlineData(6, 0.0505)]
    [InlineData(8, 0.001)]
    [InlineData(10, 0.001)]
    public void PiecewiseInterpolateLinearMatchesOptaxDocExample(long count, double expected) =>
        Assert.Equal(expected, Schedule.PiecewiseInterpolate("linear", 1.0, new Dictionary<long, double> { [4] = 0.1, [8] = 0.01 }).ValueAt(count), 12);

    [Fact]
    public void PiecewiseInterpolateCosineIsHalfWayAtMidInterval()
    {
        var s = Schedule.PiecewiseInterpolate("cosine", 2.0, new Dictionary<long, double> { [10] = 0.5 });
        Assert.Equal(2.0, s.ValueAt(0), 12);
        Assert.Equal(1.5, s.ValueAt(5), 12);
        Assert.Equal(1 + (2.0 - 1.0) / 2 * (Math.Cos(Math.PI * 0.2) + 1), s.ValueAt(2), 12);
        Assert.Equal(1.0, s.ValueAt(10), 12);
        Assert.Throws<OptimizerConfigurationException>(() => Schedule.PiecewiseInterpolate("quadratic", 1));
    }

    [Fact]
    public void JoinSchedulesRestartsTheCountAtEachBoundary()
    {
        var s = Schedule.JoinSchedules([new Schedule(c => c), new Schedule(c => 100 + c), 7.0], [3, 5]);
        Assert.Equal([0.0, 1, 2, 100, 101, 7, 7], Enumerable.Range(0, 7).Select(c => s.ValueAt(c)));
        Assert.Throws<OptimizerConfigurationException>(() => Schedule.JoinSchedules([1.0, 2.0], []));
    }

    [Fact]
    public void WarmupExponentialDecayWarmsThenDecaysFromThePeak()
    {
        var s = Schedule.WarmupExponentialDecay(0.0, 1.0, warmupSteps: 2, transitionSteps: 1, decayRate: 0.5, endValue: 0.2);
        Assert.Equal([0.0, 0.5, 1.0, 0.5, 0.25, 0.2, 0.2], Enumerable.Range(0, 7).Select(c => s.ValueAt(c)));
    }

    [Fact]
    public void CosineOnecycleRisesToThePeakAndEndsAtTheFinalValue()
    {
        var s = Schedule.CosineOnecycle(100, 1.0);
        Assert.Equal(1.0 / 25, s.ValueAt(0), 12);
        Assert.Equal((1.0 / 25 + 1.0) / 2, s.ValueAt(15), 12);
        Assert.Equal(1.0, s.ValueAt(30), 12);
        Assert.Equal(1.0 / 25 / 1e4, s.ValueAt(100), 15);
        Assert.Equal(1.0 / 25 / 1e4, s.ValueAt(1000), 15);
    }

    [Fact]
    public void LinearOnecycleHasThreeLinearPhases()
    {
        var s = Schedule.LinearOnecycle(100, 2.5);
        Assert.Equal(0.1, s.ValueAt(0), 12);
        Assert.Equal(1.3, s.ValueAt(15), 12);
        Assert.Equal(2.5, s.ValueAt(30), 12);
        Assert.Equal(0.1, s.ValueAt(85), 12);
        Assert.Equal(0.1 + (1e-5 - 0.1) * 10 / 15, s.ValueAt(95), 12);
        Assert.Equal(1e-5, s.ValueAt(100), 15);
        Assert.Throws<OptimizerConfigurationException>(() => Schedule.LinearOnecycle(0, 1));
    }

    [Fact]
    public void SgdrRestartsEachCycle()
    {
        var s = Schedule.Sgdr([new SgdrCycle(0.0, 1.0, 2, 10), new SgdrCycle(0.5, 0.5, 0, 4, EndValue: 0.1)]);
        Assert.Equal(0.0, s.ValueAt(0), 12);
        Assert.Equal(1.0, s.ValueAt(2), 12);
        Assert.Equal(0.5, s.ValueAt(6), 12); // half-way through the first cosine
        Assert.Equal(0.5, s.ValueAt(10), 12); // restart
        Assert.Equal(0.3, s.ValueAt(12), 12);
        Assert.Equal(0.1, s.ValueAt(14), 12);
        Assert.Equal(0.1, s.ValueAt(100), 12);
    }
}
