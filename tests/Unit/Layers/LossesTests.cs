using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class LossesTests
{
    private static readonly Tensor Logits = Random(1, 5, 4) * 2;
    private static readonly Tensor Labels = torch.tensor(new long[] { 0, 3, 1, 1, 2 });

    [Fact]
    public void CrossEntropyWithIntegerLabelsMatchesTorchAndHandComputation()
    {
        var loss = Losses.SoftmaxCrossEntropy(Logits, Labels);
        Assert.Equal(0, loss.dim());
        AssertClose(nn.functional.cross_entropy(Logits, Labels), loss);
        double byHand = 0;
        for (var i = 0; i < 5; i++)
        {
            var row = Logits[i];
            byHand += -(row[Labels[i].item<long>()] - torch.log(torch.exp(row).sum())).item<double>();
        }
        Assert.Equal(byHand / 5, loss.item<double>(), 12);
    }

    [Fact]
    public void LabelSmoothingEqualsCrossEntropyAgainstSmoothedTargets()
    {
        const double eps = 0.2;
        var smoothed = Activations.OneHot(Labels, 4, ScalarType.Float64) * (1 - eps) + eps / 4;
        AssertClose(Losses.SoftmaxCrossEntropyWithProbabilities(Logits, smoothed), Losses.SoftmaxCrossEntropy(Logits, Labels, eps));
        AssertClose(nn.functional.cross_entropy(Logits, Labels, label_smoothing: eps), Losses.SoftmaxCrossEntropy(Logits, Labels, eps));
    }

    [Fact]
    public void CrossEntropyWorksOnExtraLeadingAxes()
    {
        var logits = Logits.reshape(1, 5, 4).expand(2, 5, 4);
        var labels = Labels.reshape(1, 5).expand(2, 5);
        AssertClose(Losses.SoftmaxCrossEntropy(Logits, Labels), Losses.SoftmaxCrossEntropy(logits, labels));
    }

    [Fact]
    public void CrossEntropyRejectsMismatchedShapesAndBadLabels()
    {
        Assert.Throws<LayerInputException>(() => Losses.SoftmaxCrossEntropy(Logits, torch.tensor(new long[] { 0, 1 })));
        Assert.Throws<LayerInputException>(() => Losses.SoftmaxCrossEntropy(Logits, torch.tensor(new long[] { 0, 1, 2, 3, 4 })));
        Assert.Throws<LayerInputException>(() => Losses.SoftmaxCrossEntropy(Logits, Labels, 1.5));
    }

    // The definition the fused kernel must reproduce: −mean(logp[label]); smoothed, (1 − ε)·nll − ε·mean(logp).
    private static Tensor CrossEntropyByDefinition(Tensor logits, Tensor labels, double eps)
    {
        var logp = logits.log_softmax(-1);
        var nll = -logp.gather(-1, labels.to_type(ScalarType.Int64).unsqueeze(-1)).squeeze(-1);
        return (nll * (1 - eps) - logp.mean([-1L]) * eps).mean();
    }

    [Theory]
    [InlineData(ScalarType.Float64, 0.0, 1e-12)]
    [InlineData(ScalarType.Float64, 0.3, 1e-12)]
    [InlineData(ScalarType.Float32, 0.0, 1e-6)]
    [InlineData(ScalarType.Float32, 0.1, 1e-6)]
    [InlineData(ScalarType.BFloat16, 0.0, 3e-2)]
    [InlineData(ScalarType.Float16, 0.0, 3e-3)]
    public void CrossEntropyEqualsItsDefinitionInValueAndGradient(ScalarType dtype, double eps, double tolerance)
    {
        // [2, 3, 4] logits (classes last, two leading axes) and Int32 labels: the fused path reshapes and converts them.
        var logits = (Random(3, 2, 3, 4) * 3).to_type(dtype).requires_grad_();
        var labels = torch.tensor(new[] { 0, 3, 1, 2, 2, 0 }).reshape(2, 3);
        var fused = Losses.SoftmaxCrossEntropy(logits, labels, eps);
        var reference = CrossEntropyByDefinition(logits, labels, eps);
        Assert.Equal(dtype, fused.dtype);
        Assert.Equal(0, fused.dim());
        AssertClose(reference.to_type(ScalarType.Float64), fused.to_type(ScalarType.Float64), tolerance, tolerance);
        var fusedGrad = torch.autograd.grad([fused], [logits])[0];
        var referenceGrad = torch.autograd.grad([reference], [logits])[0];
        AssertClose(referenceGrad.to_type(ScalarType.Float64), fusedGrad.to_type(ScalarType.Float64), tolerance, tolerance);
    }

    [Fact]
    public void CrossEntropyOfOneRowAndOfAnEmptyBatch()
    {
        var row = Logits[1];
        var label = torch.tensor(3L);
        AssertClose(CrossEntropyByDefinition(row, label, 0), Losses.SoftmaxCrossEntropy(row, label));
        // No rows: the mean of nothing is NaN, as jnp.mean of an empty array.
        Assert.True(double.IsNaN(Losses.SoftmaxCrossEntropy(torch.zeros(0, 4, ScalarType.Float64), torch.zeros(0, ScalarType.Int64)).item<double>()));
    }

    [Fact]
    public void CrossEntropyRejectsLabelsOutOfRangeNamingTheirRange()
    {
        var low = Assert.Throws<LayerInputException>(() => Losses.SoftmaxCrossEntropy(Logits, torch.tensor(new long[] { 0, -1, 1, 1, 2 })));
        Assert.Contains("from -1 to 2", low.Message);
        var high = Assert.Throws<LayerInputException>(() => Losses.SoftmaxCrossEntropy(Logits, torch.tensor(new[] { 0, 4, 1, 1, 2 })));
        Assert.Contains("[0, 4)", high.Message);
        Assert.Contains("from 0 to 4", high.Message);
        // −100 is cross_entropy's ignore_index: it must be rejected, not silently skipped.
        Assert.Throws<LayerInputException>(() => Losses.SoftmaxCrossEntropy(Logits, torch.tensor(new long[] { 0, -100, 1, 1, 2 })));
    }

    [Fact]
    public void MseMatchesTorch()
    {
        var target = Random(2, 5, 4);
        AssertClose(nn.functional.mse_loss(Logits, target), Losses.Mse(Logits, target));
        Assert.Throws<LayerInputException>(() => Losses.Mse(Logits, target.t()));
    }
}
