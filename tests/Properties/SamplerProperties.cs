using FsCheck;
using FsCheck.Xunit;
using MiniHaiku.Internal;

namespace MiniHaiku.Tests.Properties;

/// <summary>
/// The managed samplers behind <see cref="Initializers.TruncatedNormal"/> and <see cref="Initializers.RandomUniform"/>:
/// a value depends only on the seed and its index (a fill is the prefix of any longer fill), and stays in its bounds.
/// </summary>
[Properties(MaxTest = 100)]
public class SamplerProperties
{
    [Property]
    public void ATruncatedNormalFillIsAPrefixOfLongerFillsAndStaysWithinTwoStddev(ulong seed, byte shortArg, ushort longArg, NormalFloat stddevArg, NormalFloat meanArg)
    {
        int n = shortArg, m = n + longArg % 5000;
        float stddev = (float)Math.Clamp(stddevArg.Get, -1e3, 1e3), mean = (float)Math.Clamp(meanArg.Get, -1e3, 1e3);
        float[] shorter = new float[n], longer = new float[m];
        TruncatedNormalSampler.Fill(shorter, stddev, mean, seed);
        TruncatedNormalSampler.Fill(longer, stddev, mean, seed);
        Assert.Equal(longer[..n], shorter);
        var bound = 2 * Math.Abs(stddev) * (1 + 1e-6) + 1e-4 * Math.Abs(mean);
        Assert.All(longer, v => Assert.True(Math.Abs(v - mean) <= bound, $"{v} is beyond {mean} ± 2·{stddev}"));
        double[] fewer = new double[n], more = new double[m];
        TruncatedNormalSampler.Fill(fewer, stddev, mean, seed);
        TruncatedNormalSampler.Fill(more, stddev, mean, seed);
        Assert.Equal(more[..n], fewer);
        Assert.All(more, v => Assert.True(Math.Abs(v - mean) <= 2 * Math.Abs((double)stddev) * (1 + 1e-12) + 1e-12 * Math.Abs(mean)));
    }

    [Property]
    public void AUniformFillIsAPrefixOfLongerFillsAndStaysInItsInterval(ulong seed, byte shortArg, ushort longArg, NormalFloat aArg, NormalFloat bArg)
    {
        int n = shortArg, m = n + longArg % 5000;
        double a = Math.Clamp(aArg.Get, -1e6, 1e6), b = Math.Clamp(bArg.Get, -1e6, 1e6);
        float min = (float)Math.Min(a, b), max = (float)Math.Max(a, b);
        if (!(min < max)) return;
        float[] shorter = new float[n], longer = new float[m];
        UniformSampler.Fill(shorter, min, max, seed);
        UniformSampler.Fill(longer, min, max, seed);
        Assert.Equal(longer[..n], shorter);
        Assert.All(longer, v => Assert.True(v >= min && v < max, $"{v} is outside [{min}, {max})"));
        double[] fewer = new double[n], more = new double[m];
        UniformSampler.Fill(fewer, min, (double)max, seed);
        UniformSampler.Fill(more, min, (double)max, seed);
        Assert.Equal(more[..n], fewer);
        Assert.All(more, v => Assert.True(v >= min && v < max, $"{v} is outside [{min}, {max})"));
    }
}
