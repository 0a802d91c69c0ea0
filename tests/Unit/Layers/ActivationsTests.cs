using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class ActivationsTests
{
    private static readonly Tensor X = Random(1, 4, 7) * 3;

    [Fact]
    public void ReluSiluSigmoidTanhMatchTheirFormulas()
    {
        AssertClose(torch.where(X > 0, X, zeros_like(X)), Activations.Relu(X));
        AssertClose(X / (1 + torch.exp(-X)), Activations.Silu(X));
        AssertClose(1 / (1 + torch.exp(-X)), Activations.Sigmoid(X));
        AssertClose((torch.exp(X) - torch.exp(-X)) / (torch.exp(X) + torch.exp(-X)), Activations.Tanh(X));
    }

    [Fact]
    public void GeluDefaultsToTheTanhApproximationLikeJax()
    {
        var approx = 0.5 * X * (1 + torch.tanh(Math.Sqrt(2 / Math.PI) * (X + 0.044715 * X.pow(3))));
        var exact = 0.5 * X * (1 + torch.special.erf(X / Math.Sqrt(2)));
        AssertClose(approx, Activations.Gelu(X));
        AssertClose(exact, Activations.Gelu(X, approximate: false));
        Assert.False(approx.allclose(exact, 1e-6, 1e-6));
    }

    [Fact]
    public void SoftmaxAndLogSoftmaxAreNormalisedAndStable()
    {
        var big = X + 1000;
        var s = Activations.Softmax(big);
        AssertClose(ones(4, dtype: ScalarType.Float64), s.sum(-1));
        AssertClose(torch.exp(X) / torch.exp(X).sum(-1, keepdim: true), s);
        AssertClose(torch.log(s), Activations.LogSoftmax(big));
        AssertClose(ones(7, dtype: ScalarType.Float64), Activations.Softmax(X, dim: 0).sum(0L));
    }

    [Fact]
    public void OneHotPutsOneAtEachLabel()
    {
        var labels = torch.tensor(new long[] { 2, 0, 1 });
        var y = Activations.OneHot(labels, 4);
        Assert.Equal([3L, 4], y.shape);
        Assert.Equal(ScalarType.Float32, y.dtype);
        var expected = torch.tensor(new float[] { 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0 }).reshape(3, 4);
        Assert.True(expected.Equals(y));
    }

    [Fact]
    public void OneHotTakesAnyIntegerLabelDtype()
    {
        // The label range check used to read its bounds with item<long>(), which throws ArgumentException for Int32.
        var expected = Activations.OneHot(torch.tensor(new long[] { 2, 0, 1 }), 4);
        Assert.True(expected.Equals(Activations.OneHot(torch.tensor(new[] { 2, 0, 1 }), 4)));
        Assert.True(expected.Equals(Activations.OneHot(torch.tensor(new byte[] { 2, 0, 1 }), 4)));
        Assert.Throws<LayerInputException>(() => Activations.OneHot(torch.tensor(new[] { 4 }), 4));
    }

    [Fact]
    public void OneHotRejectsBadLabels()
    {
        Assert.Throws<LayerInputException>(() => Activations.OneHot(torch.tensor(new long[] { 4 }), 4));
        Assert.Throws<LayerInputException>(() => Activations.OneHot(torch.tensor(new long[] { -1 }), 4));
        Assert.Throws<LayerInputException>(() => Activations.OneHot(torch.tensor(new float[] { 1 }), 4));
    }
}
