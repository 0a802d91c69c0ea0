using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

/// <summary>
/// The transposed convolutions (<see cref="ConvNDTranspose"/> and its 1-, 2- and 3-D front-ends) against torch's
/// ConvTranspose{1,2,3}d. Torch (padding 0) gives the "full" output of length (in − 1)·s + k; JAX/Haiku pad the
/// dilated input with (lo, hi) and correlate with the unflipped kernel, which is the full output (with the kernel
/// flipped) starting at k − 1 − lo, zero-extended at the end when hi &gt; k − 1.
/// </summary>
public static class TransposeReference
{
    public static Tensor Expected(Tensor xFirst, Tensor w, Tensor bias, int k, int s, long start, long length)
    {
        var n = (int)xFirst.dim() - 2;
        var inC = xFirst.shape[1];
        var outC = bias.shape[0];
        var spatial = Enumerable.Range(0, n).Select(i => (long)i).ToArray();
        // Haiku [k..., O, I] → torch ConvTranspose weight [I, O, k...], flipped.
        long[] perm = [n + 1, n, .. spatial];
        var weight = w.permute(perm).flip(spatial.Select(i => i + 2).ToArray());
        var full = n switch
        {
            1 => nn.functional.conv_transpose1d(xFirst, weight, bias, stride: s),
            2 => nn.functional.conv_transpose2d(xFirst, weight, bias, strides: [s, s]),
            _ => nn.functional.conv_transpose3d(xFirst, weight, bias, strides: [s, s, s]),
        };
        var fullLength = full.shape[2];
        var extra = Math.Max(0, start + length - fullLength);
        if (extra > 0)
        {
            // Positions past the full output see only padding: the bias.
            var padding = Enumerable.Range(0, n).SelectMany(_ => new[] { 0L, extra }).ToArray();
            var b = bias.reshape([1, outC, .. Enumerable.Repeat(1L, n)]);
            full = nn.functional.pad(full - b, padding) + b;
        }
        for (var i = 0; i < n; i++) full = full.narrow(2 + i, start, length);
        _ = inC;
        return full;
    }
}

public class ConvNDTransposeTests
{
    private const string W = "~/ConvNDTranspose_0/__call__/w";
    private const string B = "~/ConvNDTranspose_0/__call__/b";

    /// <summary>k, s, padding, output shape (0 for none), crop start, output length for an input of length 4.</summary>
    public static TheoryData<int, int, int, Pad, int, int, int> Cases() => new()
    {
        { 1, 3, 2, Pad.Same, 0, 0, 8 },
        { 2, 3, 1, Pad.Same, 0, 1, 4 },
        { 3, 2, 2, Pad.Valid, 0, 0, 8 },
        { 1, 3, 2, Pad.Same, 7, 1, 7 },    // SAME, output 7: padding needed 2, before 1
        { 2, 3, 2, Pad.Same, 8, 0, 8 },    // needed 1, before 0
        { 1, 3, 2, Pad.Valid, 10, 0, 10 }, // VALID, output 10 > full 9: one more position (bias only)
        { 3, 3, 2, Pad.Valid, 9, 0, 9 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTorchConvTransposeInBothLayouts(int n, int k, int s, Pad padding, int outputShape, int start, int length)
    {
        var xFirst = Random(1, [2, 3, .. Enumerable.Repeat(4L, n)]);
        foreach (var format in new[] { DataFormat.ChannelsFirst, DataFormat.ChannelsLast })
        {
            var x = format == DataFormat.ChannelsFirst ? xFirst : xFirst.movedim([1], [n + 1]);
            var f = Hk.Transform((Tensor v) => ConvNDTranspose.Create(n, 2, [k], [s], outputShape > 0 ? [outputShape] : null, padding, dataFormat: format).Call(v));
            var bias = Random(3, 2);
            var p = f.Init(2, x).With(B, format == DataFormat.ChannelsFirst ? bias.reshape([2, .. Enumerable.Repeat(1L, n)]) : bias);
            Assert.Equal([.. Enumerable.Repeat((long)k, n), 2, 3], p[W].shape);
            var expected = TransposeReference.Expected(xFirst, p[W], bias, k, s, start, length);
            var y = f.Apply(p, x);
            AssertClose(expected, format == DataFormat.ChannelsFirst ? y : y.movedim([n + 1], [1]), because: $"N={n}, k={k}, s={s}, {padding}, {format}:");
        }
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var x = Random(5, 1, 3, 2);
        var f = Hk.Transform((Tensor v) => ConvNDTranspose.Create(1, 2, [3], [2], [5]).Call(v));
        var p = f.Init(1, x).With(B, Random(6, 2));
        var r = Random(7, f.Apply(p, x).shape);
        Assert.Equal([1L, 5, 2], r.shape);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, x) * r).sum());
    }

    [Fact]
    public void MaskMultipliesTheWeights()
    {
        var x = Random(1, 1, 3, 3, 2);
        var mask = Random(2, 2, 2, 4, 2).gt(0);
        var f = Hk.Transform((Tensor v) => ConvNDTranspose.Create(2, 4, [2], [2], mask: mask).Call(v));
        var g = Hk.Transform((Tensor v) => ConvNDTranspose.Create(2, 4, [2], [2]).Call(v));
        var p = f.Init(0, x);
        AssertClose(g.Apply(p.With(W, p[W] * mask.to_type(ScalarType.Float64)), x), f.Apply(p, x));
    }

    [Fact]
    public void BadArgumentsAndInputsAreExplained()
    {
        Assert.Contains("supports only Pad.Same and Pad.Valid",
            Assert.Throws<LayerConfigurationException>(() => ConvNDTranspose.Create(2, 2, [3], padding: Pad.Explicit(1, 1))).Message);
        Assert.Throws<LayerConfigurationException>(() => ConvNDTranspose.Create(0, 2, [3]));
        Assert.Throws<LayerConfigurationException>(() => ConvNDTranspose.Create(2, 2, [3], outputShape: [4, 0]));
        var e = Assert.Throws<LayerInputException>(() =>
            Hk.Transform((Tensor v) => ConvNDTranspose.Create(1, 2, [3], [2], [12]).Call(v)).Init(0, ones(1, 4, 3)));
        Assert.Contains("makes 12 positions on spatial axis 0 from an input of 6, got 4", e.Message);
        Assert.Equal("~/ConvNDTranspose_0", e.Path);
        var m = Assert.Throws<LayerInputException>(() =>
            Hk.Transform((Tensor v) => ConvNDTranspose.Create(1, 2, [3], mask: ones(3, 3, 2)).Call(v)).Init(0, ones(1, 4, 3)));
        Assert.Contains("(3, 2, 3)", m.Message);
    }

    [Fact]
    public void DefaultInitScalesWithKernelTimesInputChannels()
    {
        // Haiku: stddev 1/√(∏k · in) for w [k..., out, in] (the output channels do not count).
        var p = Hk.Transform((Tensor v) => ConvNDTranspose.Create(2, 64, [3]).Call(v)).Init(1, ones(1, 4, 4, 16));
        var expected = Initializers.TruncatedNormalStddev / Math.Sqrt(3 * 3 * 16);
        Assert.InRange(p[W].std().item<float>(), expected * 0.95, expected * 1.05);
    }
}
