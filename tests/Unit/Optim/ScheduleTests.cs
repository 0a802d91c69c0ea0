using MiniHaiku.Optim;

namespace MiniHaiku.Tests.Optim;

public class ScheduleTests
{
    [Fact]
    public void ConstantAndImplicitConversion()
    {
        Schedule s = 0.25;
        Assert.Equal(0.25, s.ValueAt(0));
        Assert.Equal(0.25, s.ValueAt(1_000_000));
        Assert.Equal(3.0, Schedule.Constant(3).ValueAt(7));
    }

    [Theory]
    [InlineData(0, 1.0)]
    [InlineData(5, 0.70710678118654757)] // 0.5^(5/10)
    [InlineData(10, 0.5)]
    [InlineData(20, 0.25)]
    public void ExponentialDecaySmooth(long count, double expected) =>
        Assert.Equal(expected, Schedule.ExponentialDecay(1.0, 10, 0.5).ValueAt(count), 12);

    [Theory]
    [InlineData(9, 1.0)]
    [InlineData(15, 0.5)]
    [InlineData(29, 0.25)]
    public void ExponentialDecayStaircase(long count, double expected) =>
        Assert.Equal(expected, Schedule.ExponentialDecay(1.0, 10, 0.5, staircase: true).ValueAt(count), 12);

    [Fact]
    public void ExponentialDecayBeginAndFloor()
    {
        var s = Schedule.ExponentialDecay(2.0, 10, 0.5, transitionBegin: 5, endValue: 0.6);
        Assert.Equal(2.0, s.ValueAt(3), 12);
        Assert.Equal(1.0, s.ValueAt(15), 12);
        Assert.Equal(0.6, s.ValueAt(100), 12);
    }

    [Theory]
    [InlineData(0, 2.0)]
    [InlineData(50, 1.1)] // 2 * (0.9 * 0.5 * (1 + cos(pi/2)) + 0.1)
    [InlineData(25, 1.736396103067893)] // 2 * (0.9 * 0.5 * (1 + cos(pi/4)) + 0.1)
    [InlineData(100, 0.2)]
    [InlineData(500, 0.2)]
    public void CosineDecay(long count, double expected) =>
        Assert.Equal(expected, Schedule.CosineDecay(2.0, 100, alpha: 0.1).ValueAt(count), 12);

    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(5, 0.5)]
    [InlineData(10, 1.0)]
    [InlineData(60, 0.55)] // 0.1 + 0.9 * 0.5 * (1 + cos(pi/2))
    [InlineData(110, 0.1)]
    [InlineData(1000, 0.1)]
    public void WarmupCosineDecay(long count, double expected) =>
        Assert.Equal(expected, Schedule.WarmupCosineDecay(0.0, 1.0, 10, 110, 0.1).ValueAt(count), 12);

    [Fact]
    public void InvalidArgumentsAreRejected()
    {
        Assert.Throws<OptimizerConfigurationException>(() => Schedule.ExponentialDecay(1, 0, 0.5));
        Assert.Throws<OptimizerConfigurationException>(() => Schedule.CosineDecay(1, 0));
        Assert.Throws<OptimizerConfigurationException>(() => Schedule.WarmupCosineDecay(0, 1, 10, 10));
    }
}
