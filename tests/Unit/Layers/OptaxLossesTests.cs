using MiniHaiku.Layers;
using static TorchSharp.torch.nn.functional;

namespace MiniHaiku.Tests.Layers;

/// <summary>The Optax-named losses: per-example values, against TorchSharp's functional losses in float64 where one computes the same thing, else hand-computed values.</summary>
public class OptaxLossesTests
{
    private static Tensor T(params double[] v) => torch.tensor(v, float64);

    private static Tensor Randn(long seed, params long[] shape)
    {
        using var g = new torch.Generator((ulong)seed);
        return torch.randn(shape, float64, generator: g);
    }

    private static void Close(Tensor expected, Tensor actual, double tol = 1e-12)
    {
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(actual.allclose(expected, tol, tol), $"expected [{string.Join(", ", expected.data<double>().ToArray())}], got [{string.Join(", ", actual.data<double>().ToArray())}]");
    }

    [Fact]
    public void SigmoidBinaryCrossEntropyMatchesTorchPerElement()
    {
        var x = Randn(1, 4, 3) * 5;
        using var g = new torch.Generator(2);
        var y = torch.rand([4, 3], float64, generator: g);
        Close(binary_cross_entropy_with_logits(x, y, reduction: nn.Reduction.None), Losses.SigmoidBinaryCrossEntropy(x, y));
        Assert.True(Losses.SigmoidBinaryCrossEntropy(T(800.0, -800.0), T(1.0, 0.0)).allclose(T(0, 0)), "stable for large logits");
        Assert.Throws<LayerInputException>(() => Losses.SigmoidBinaryCrossEntropy(x, y[0]));
    }

    [Fact]
    public void SigmoidFocalLossIsWeightedCrossEntropy()
    {
        var x = T(-2.0, 0.0, 1.5, 3.0);
        var y = T(0.0, 1.0, 1.0, 0.3);
        var p = torch.sigmoid(x);
        var pt = p * y + (1 - p) * (1 - y);
        var ce = binary_cross_entropy_with_logits(x, y, reduction: nn.Reduction.None);
        Close(ce * (1 - pt).pow(2), Losses.SigmoidFocalLoss(x, y), 1e-10);
        Close((0.25 * y + 0.75 * (1 - y)) * ce * (1 - pt).pow(3), Losses.SigmoidFocalLoss(x, y, alpha: 0.25, gamma: 3), 1e-10);
        Close(ce, Losses.SigmoidFocalLoss(x, y, gamma: 0), 1e-12);
    }

    [Fact]
    public void HingeLossesByHand()
    {
        Close(T(0.0, 1.5, 3.0), Losses.HingeLoss(T(2.0, -0.5, 2.0), T(1.0, 1.0, -1.0)));
        // scores [1, 3, 2], label 0: max(1+0, 3+1, 2+1) − 1 = 3; label 1: max(2, 3, 3) − 3 = 0.
        var scores = T(1.0, 3.0, 2.0, 1.0, 3.0, 2.0).reshape(2, 3);
        Close(T(3.0, 0.0), Losses.MulticlassHingeLoss(scores, torch.tensor(new long[] { 0, 1 })));
        Assert.Throws<LayerInputException>(() => Losses.MulticlassHingeLoss(scores, torch.tensor(new long[] { 0, 3 })));
    }

    [Fact]
    public void SoftmaxCrossEntropyWithIntegerLabelsIsPerExampleAndAveragesToTheMeanLoss()
    {
        var logits = Randn(3, 5, 4);
        var labels = torch.tensor(new long[] { 0, 3, 1, 1, 2 });
        var perExample = Losses.SoftmaxCrossEntropyWithIntegerLabels(logits, labels);
        Close(cross_entropy(logits, labels, reduction: nn.Reduction.None), perExample);
        Close(Losses.SoftmaxCrossEntropy(logits, labels), perExample.mean());
    }

    [Fact]
    public void PolyLossAddsEpsilonTimesOneMinusPt()
    {
        var logits = Randn(4, 3, 5);
        var labels = one_hot(torch.tensor(new long[] { 4, 0, 2 }), 5).to_type(float64);
        var pt = (logits.softmax(-1) * labels).sum(-1);
        var ce = cross_entropy(logits, torch.tensor(new long[] { 4, 0, 2 }), reduction: nn.Reduction.None);
        Close(ce + 2.0 * (1 - pt), Losses.PolyLossCrossEntropy(logits, labels));
        Close(ce, Losses.PolyLossCrossEntropy(logits, labels, epsilon: 0));
    }

    [Fact]
    public void SmoothLabelsSpreadsAlphaUniformly()
    {
        var y = T(0, 1, 0, 0).reshape(1, 4);
        Close(T(0.025, 0.925, 0.025, 0.025).reshape(1, 4), Losses.SmoothLabels(y, 0.1));
        Assert.Throws<LayerInputException>(() => Losses.SmoothLabels(y, 1.5));
    }

    [Fact]
    public void KlDivergenceMatchesTorchKlDivSummedOverClasses()
    {
        var logPred = Randn(5, 3, 4).log_softmax(-1);
        var targets = Randn(6, 3, 4).softmax(-1);
        var expected = kl_div(logPred, targets, reduction: nn.Reduction.None, log_target: false).sum(-1); // TorchSharp defaults log_target to true
        Close(expected, Losses.KlDivergence(logPred, targets));
        Close(expected, Losses.KlDivergenceWithLogTargets(logPred, targets.log()));
        // 0·log 0 = 0
        Close(T(Math.Log(2)), Losses.KlDivergence(T(Math.Log(0.5), Math.Log(0.5)).reshape(1, 2), T(1, 0).reshape(1, 2)).reshape(1));
    }

    [Fact]
    public void RegressionLossesMatchTorch()
    {
        var a = Randn(7, 6) * 3;
        var b = Randn(8, 6);
        Close(mse_loss(a, b, reduction: nn.Reduction.None), Losses.SquaredError(a, b));
        Close(0.5 * (a - b).square(), Losses.L2Loss(a, b));
        Close(a.square(), Losses.SquaredError(a));
        Close(huber_loss(a, b, reduction: nn.Reduction.None, delta: 1.3), Losses.HuberLoss(a, b, delta: 1.3));
        Close(torch.log(torch.cosh(a - b)), Losses.LogCosh(a, b));
        Close(T(700 - Math.Log(2)), Losses.LogCosh(T(700.0)), 1e-12); // cosh(700) overflows nothing here
        Assert.Throws<LayerInputException>(() => Losses.HuberLoss(a, b.to_type(float32)));
        Assert.Throws<LayerInputException>(() => Losses.SquaredError(torch.ones(2, int64)));
    }

    [Fact]
    public void CosineSimilarityAndDistanceMatchTorch()
    {
        var a = Randn(9, 4, 3);
        var b = Randn(10, 4, 3);
        var expected = cosine_similarity(a, b, dim: -1, eps: 1e-300);
        Close(expected, Losses.CosineSimilarity(a, b));
        Close(1 - expected, Losses.CosineDistance(a, b));
        Assert.Equal(0, Losses.CosineSimilarity(T(0, 0), T(1, 0), epsilon: 1e-12).item<double>());
    }

    [Fact]
    public void CtcLossMatchesAHandComputedCase()
    {
        // T = 2 steps, classes {blank, 'a'}, label "a": alignments a·a, ∅·a, a·∅.
        var logits = T(0.3, -0.2, 1.0, 0.5).reshape(1, 2, 2);
        var p = logits.softmax(-1);
        double P(int t, int k) => p[0, t, k].item<double>();
        var likelihood = P(0, 1) * P(1, 1) + P(0, 0) * P(1, 1) + P(0, 1) * P(1, 0);
        var loss = Losses.CtcLoss(logits, torch.zeros(1, 2, float64), torch.tensor(new long[] { 1 }).reshape(1, 1), torch.zeros(1, 1, float64));
        Close(T(-Math.Log(likelihood)), loss);
    }

    [Fact]
    public void CtcLossHonoursPaddingsAndBatches()
    {
        // Example 0 is the hand case padded with one time step and one label position; example 1 is "ab" over 3 steps.
        var logits = torch.cat([T(0.3, -0.2, 9.0, 1.0, 0.5, 9.0, 7.0, 7.0, 7.0).reshape(1, 3, 3), Randn(11, 1, 3, 3)], 0);
        var logitPaddings = T(0, 0, 1, 0, 0, 0).reshape(2, 3);
        var labels = torch.tensor(new long[] { 1, 2, 1, 2 }).reshape(2, 2);
        var labelPaddings = T(0, 1, 0, 0).reshape(2, 2);
        var loss = Losses.CtcLoss(logits, logitPaddings, labels, labelPaddings);
        var single = Losses.CtcLoss(logits[..1, ..2, ..], torch.zeros(1, 2, float64), torch.tensor(new long[] { 1 }).reshape(1, 1), torch.zeros(1, 1, float64));
        Close(single, loss[..1]);
        // "ab" in 3 steps: ab∅, a∅b, ∅ab, aab, abb.
        var q = logits[1].softmax(-1);
        double Q(int t, int k) => q[t, k].item<double>();
        var likelihood = Q(0, 1) * Q(1, 2) * Q(2, 0) + Q(0, 1) * Q(1, 0) * Q(2, 2) + Q(0, 0) * Q(1, 1) * Q(2, 2)
            + Q(0, 1) * Q(1, 1) * Q(2, 2) + Q(0, 1) * Q(1, 2) * Q(2, 2);
        Assert.Equal(-Math.Log(likelihood), loss[1].item<double>(), 10);
        Assert.Throws<LayerInputException>(() => Losses.CtcLoss(logits[0], logitPaddings, labels, labelPaddings));
        Assert.Throws<LayerInputException>(() => Losses.CtcLoss(logits, logitPaddings, labels + 5, labelPaddings));
    }

    [Fact]
    public void TripletMarginLossByHand()
    {
        var anchors = T(0, 0, 1, 1).reshape(2, 2);
        var positives = T(3, 4, 1, 1).reshape(2, 2);
        var negatives = T(0, 1, 4, 5).reshape(2, 2);
        // d(a, p) ≈ 5 and 0; d(a, n) ≈ 1 and 5 (eps 1e-6 inside the root).
        var expected = T(Math.Max(Math.Sqrt(25 + 1e-6) - Math.Sqrt(1 + 1e-6) + 1, 0), Math.Max(Math.Sqrt(1e-6) - Math.Sqrt(25 + 1e-6) + 1, 0));
        Close(expected, Losses.TripletMarginLoss(anchors, positives, negatives));
    }

    [Fact]
    public void NtxentIsTheMeanCrossEntropyOverPositivePairs()
    {
        var e = Randn(12, 4, 3);
        var labels = torch.tensor(new long[] { 0, 0, 1, 1 });
        const double tau = 0.5;
        var unit = e / e.norm(1, keepdim: true);
        var sim = unit.matmul(unit.T) / tau;
        // For pair (i, j): −log(exp(s_ij) / (exp(s_ij) + Σ_{k: other label} exp(s_ik))).
        var pairs = new[] { (0, 1), (1, 0), (2, 3), (3, 2) };
        var expected = pairs.Average(pair =>
        {
            var (i, j) = pair;
            var negatives = Enumerable.Range(0, 4).Where(k => labels[k].item<long>() != labels[i].item<long>()).Sum(k => Math.Exp(sim[i, k].item<double>()));
            var positive = Math.Exp(sim[i, j].item<double>());
            return -Math.Log(positive / (positive + negatives));
        });
        Assert.Equal(expected, Losses.Ntxent(e, labels, tau).item<double>(), 10);
        Assert.Throws<LayerInputException>(() => Losses.Ntxent(e, labels[..3]));
    }
}
