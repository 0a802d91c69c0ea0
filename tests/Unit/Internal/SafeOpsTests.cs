using MiniHaiku.Internal;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MiniHaiku.Tests.Unit.Internal;

public class SafeOpsTests
{
    private static double[] Values(Tensor t) => t.to_type(ScalarType.Float64).data<double>().ToArray();

    [Fact]
    public void ArithmeticMatchesTorchOperators()
    {
        var a = tensor(new double[] { 1, -2, 3 });
        var b = tensor(new double[] { 0.5, 4, -1 });
        Assert.Equal(new double[] { 1.5, 2, 2 }, Values(a.Plus(b)));
        Assert.Equal(new double[] { 0.5, -6, 4 }, Values(a.Minus(b)));
        Assert.Equal(new double[] { 2, 6, 1 }, Values(a.PlusScaled(b, 2)));
        Assert.Equal(new double[] { 3, 0, 5 }, Values(a.Plus(2.0)));
        Assert.Equal(new double[] { 1, 4, -1 }, Values(a.SubtractedFrom(2.0)));
        Assert.Equal(new double[] { -3, 6, -9 }, Values(a.Times(-3)));
        Assert.Equal(new double[] { 0.5, -1, 1.5 }, Values(a.DividedBy(2)));
        Assert.Equal(new double[] { 1, 4, 9 }, Values(a.Power(2)));
        Assert.Equal(new double[] { 1, 0, 3 }, Values(a.ClampMin(0)));
        Assert.Equal(new double[] { 0, -2, 0 }, Values(a.ClampMax(0)));
        Assert.Equal(new double[] { 1, -1, 1 }, Values(a.ClampTo(-1, 1)));
        Assert.Equal(new[] { false, false, true }, a.GreaterThan(1).data<bool>().ToArray());
        Assert.Equal(new[] { false, true, false }, a.LessThan(0).data<bool>().ToArray());
        Assert.Equal(new double[] { 7, 7 }, Values(SafeOps.Full([2], 7, ScalarType.Float64)));
    }

    [Fact]
    public void InPlaceOpsWriteIntoTheirTarget()
    {
        var a = tensor(new double[] { 1, 2 });
        var b = tensor(new double[] { 3, 4 });
        Assert.Same(a, a.PlusInPlace(b));
        Assert.Equal(new double[] { 4, 6 }, Values(a));
        a.MinusInPlace(b).TimesInPlace(2).PlusInPlace(1.0).PlusScaledInPlace(b, -1);
        Assert.Equal(new double[] { 0, 1 }, Values(a));
        a.AddcmulInPlace(b, b, 0.5).AddcdivInPlace(b, b, 2);
        Assert.Equal(new double[] { 6.5, 11 }, Values(a));
        Assert.Equal(new double[] { 3, 3 }, Values(a.FillInPlace(3)));
    }

    [Fact]
    public void TheNewHelpersMatchTorchBitwise()
    {
        using var g = new torch.Generator(5);
        var a = torch.randn([7], ScalarType.Float32, generator: g);
        Assert.True(a.Squared().Equals(a.square()));
        Assert.True(a.clone().DivideInPlace(0.3).Equals(a.div(0.3)));
        Assert.True(a.clone().ClampInPlace(-0.5, 0.5).Equals(a.clamp(-0.5, 0.5)));
        Assert.True(SafeOps.FullLike(a, 2.5).Equals(torch.full_like(a, 2.5)));
        Assert.True(a.clone().GreaterOrEqualInPlace(0.1).Equals(a.ge(0.1).to_type(ScalarType.Float32)));
        Assert.True(a.Plus(1.5).Equals(a + 1.5));
        Assert.True(a.SubtractedFrom(1.5).Equals(1.5 - a));
    }

    // The hidden alpha of a + b is the integer 1 in TorchSharp; a floating alpha would be rejected for integer tensors
    // ("For integral input tensors, argument alpha must not be a floating point number"), so SafeOps uses integers too.
    [Fact]
    public void PlusAndMinusWorkOnIntegerTensors()
    {
        var a = tensor(new long[] { 5, 7 });
        var b = tensor(new long[] { 2, 3 });
        Assert.Equal(new long[] { 7, 10 }, a.Plus(b).data<long>().ToArray());
        Assert.Equal(new long[] { 3, 4 }, a.Minus(b).data<long>().ToArray());
        Assert.Equal(new long[] { 7, 10 }, a.clone().PlusInPlace(b).data<long>().ToArray());
        Assert.Equal(ScalarType.Int64, a.Minus(b).dtype);
    }
}
