using MiniHaiku.Layers;
using MiniHaiku.Nets;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Nets;

public class VectorQuantizerTests
{
    private const string E = "~/VectorQuantizer_0/__call__/embeddings";

    // Codes (columns): (0, 0), (1, 0), (0, 2). Inputs nearest to codes 1, 2, 0.
    internal static readonly Tensor Codebook = tensor(new[] { 0.0, 1.0, 0.0, 0.0, 0.0, 2.0 }).reshape(2, 3);
    internal static readonly Tensor Inputs = tensor(new[] { 0.9, 0.1, 0.1, 1.5, -0.2, 0.1 }).reshape(3, 2);

    private static Transformed<Tensor, VectorQuantizerOutput> Vq(double beta = 0.25) =>
        Hk.Transform((Tensor x) => VectorQuantizer.Create(2, 3, beta, ScalarType.Float64).SelectMany(v => v.Call(x, true)));

    [Fact]
    public void CodesLossesAndPerplexityMatchTheHandComputedValues()
    {
        var f = Vq();
        var p = f.Init(0, Inputs);
        Assert.Equal($"{{'{E}': (2, 3)}}", p.Shapes().ToString());
        p = p.With(E, Codebook);
        var r = f.Apply(p, Inputs);
        Assert.Equal(new long[] { 1, 2, 0 }, r.EncodingIndices.data<long>().ToArray());
        AssertClose(tensor(new[] { 1.0, 0.0, 0.0, 2.0, 0.0, 0.0 }).reshape(3, 2), r.Quantize);
        AssertClose(nn.functional.one_hot(tensor(new long[] { 1, 2, 0 }), 3).to_type(ScalarType.Float64), r.Encodings);
        AssertClose(torch.cdist(Inputs, Codebook.t()).square(), r.Distances);
        // Squared errors 0.01 + 0.01 + 0.01 + 0.25 + 0.04 + 0.01 = 0.33 over 6 elements; codebook + 0.25 × commitment.
        Assert.Equal(0.055 * 1.25, r.Loss.item<double>(), 12);
        Assert.Equal(3.0, r.Perplexity.item<double>(), 6);
    }

    [Fact]
    public void TheStraightThroughGradientPassesToTheInputsAndTheCodebookLearnsFromTheLoss()
    {
        var x = Inputs.clone().requires_grad_(true);
        var codebook = Codebook.clone().requires_grad_(true);
        var r = Vq(beta: 0.25).Apply(Params.Empty.With(E, codebook), x);
        var w = Random(1, 3, 2);
        var grads = torch.autograd.grad([(r.Quantize * w).sum() + r.Loss], [x, codebook]);
        var q = tensor(new[] { 1.0, 0.0, 0.0, 2.0, 0.0, 0.0 }).reshape(3, 2);
        // d/dx: w (straight through) + 0.25 · 2 (x − q) / 6; d/dE: 2 (q − x) / 6 at each chosen column.
        AssertClose(w + 0.25 * 2 * (Inputs - q) / 6, grads[0]);
        var expectedCodebook = zeros(2, 3, dtype: ScalarType.Float64);
        long[] chosen = [1, 2, 0];
        for (var i = 0; i < 3; i++) expectedCodebook[.., chosen[i]] = 2 * (q[i] - Inputs[i]) / 6;
        AssertClose(expectedCodebook, grads[1]);
    }

    [Fact]
    public void LossGradientsMatchFiniteDifferencesAndQuantizeLooksUpCodes()
    {
        var x = Random(2, 4, 5, 2);
        // With β = 0 the loss is the codebook term alone; with β > 0 finite differences would also see the
        // commitment term move with the codebook, which the stop-gradient hides from autograd by design.
        var f = Vq(beta: 0);
        var p = f.Init(0, x);
        AssertMatchesFiniteDifferences(p, q => f.Apply(q, x).Loss);
        var lookup = Hk.Transform((Tensor i) => VectorQuantizer.Create(2, 3, 0.25, ScalarType.Float64).SelectMany(v => v.Quantize(i)));
        var codes = lookup.Apply(Params.Empty.With(E, Codebook), tensor(new long[] { 2, 1, 0, 2 }).reshape(2, 2));
        Assert.Equal([2L, 2, 2], codes.shape);
        AssertClose(tensor(new[] { 0.0, 2.0 }), codes[1, 1]);
    }

    [Fact]
    public void AnInputOfAnotherWidthOrDtypeIsALayerInputException()
    {
        var e = Assert.Throws<LayerInputException>(() => Vq().Init(0, Random(1, 3, 4)));
        Assert.Contains("~/VectorQuantizer_0", e.Message);
        var d = Assert.Throws<LayerInputException>(() => Vq().Init(0, Random(1, 3, 2).to_type(ScalarType.Float32)));
        Assert.Contains("Float64", d.Message);
    }
}
