namespace MiniHaiku.Tests;

/// <summary><c>Initializers.UniformScaling</c> and <c>VarianceScaling</c>'s <c>fanInAxes</c> (Haiku's names).</summary>
public class InitializersScalingTests
{
    private static Tensor Draw(Initializer init, params long[] shape)
    {
        using var g = new torch.Generator(7);
        return init(shape, ScalarType.Float64, g);
    }

    [Fact]
    public void UniformScalingBoundIsScaleTimesRootThreeOverInputSize()
    {
        var w = Draw(Initializers.UniformScaling(2.0), 3, 4, 200);            // input size 12: bound 2·√(3/12) = 1
        Assert.True(w.abs().max().item<double>() <= 1.0);
        Assert.True(w.abs().max().item<double>() > 0.99);
        Assert.InRange(w.var().item<double>(), 0.32, 0.35);                    // bound² / 3
        Assert.Throws<InitializerConfigurationException>(() => Initializers.UniformScaling(0));
    }

    [Fact]
    public void FanInAxesChooseTheFans()
    {
        Assert.Equal((12.0, 10.0), Initializers.ComputeFans([3, 4, 5, 2], [0, 1]));
        Assert.Equal((10.0, 12.0), Initializers.ComputeFans([3, 4, 5, 2], [-2, -1]));
        Assert.Equal((4.0, 5.0), Initializers.ComputeFans([4, 5], [1]));     // rank 2 ignores the axes, as Haiku
        Assert.Equal((60.0, 24.0), Initializers.ComputeFans([3, 4, 5, 2], null));  // receptive field 12: in 5·12, out 2·12
        Assert.Throws<InitializerConfigurationException>(() => Initializers.ComputeFans([3, 4, 5], [3]));
        // Uniform: variance = scale / fan_in with fan_in = 2·3 = 6 (axes 0, 1) rather than the default 2·3·50.
        var w = Draw(Initializers.VarianceScaling(1.0, FanMode.FanIn, Distribution.Uniform, fanInAxes: [0, 1]), 2, 3, 50, 40);
        Assert.InRange(w.var().item<double>(), 1 / 6.0 * 0.95, 1 / 6.0 * 1.05);
        var fanOut = Draw(Initializers.VarianceScaling(2.0, FanMode.FanOut, Distribution.Normal, fanInAxes: [2]), 10, 10, 30);
        Assert.InRange(fanOut.var().item<double>(), 0.02 * 0.9, 0.02 * 1.1);  // fan_out = 100
    }
}
