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

    [Fact]
    public void MseMatchesTorch()
    {
        var target = Random(2, 5, 4);
        AssertClose(nn.functional.mse_loss(Logits, target), Losses.Mse(Logits, target));
        Assert.Throws<LayerInputException>(() => Losses.Mse(Logits, target.t()));
    }
}
