using MiniHaiku.Data;
using MiniHaiku.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.FashionMnistExample;

/// <summary>
/// A transformed model with its current parameters and state: evaluates a data set in batches
/// (evaluation mode: no dropout, batch norm on running statistics).
/// </summary>
/// <param name="Model">The transformed model.</param>
/// <param name="Params">Its parameters.</param>
/// <param name="State">Its state (batch-norm running statistics; empty for the MLP).</param>
public sealed record Classifier(TransformedWithState<ModelInput, Tensor> Model, Params Params, Params State)
{
    /// <summary>Mean cross-entropy and accuracy of the model on <paramref name="data"/>.</summary>
    /// <param name="data">The examples.</param>
    /// <param name="batchSize">Examples per forward pass.</param>
    /// <returns>The mean loss and the fraction classified correctly.</returns>
    public (double Loss, double Accuracy) Evaluate(LabeledImages data, int batchSize = 1000)
    {
        var (loss, accuracy, _) = EvaluateWithConfusion(data, batchSize);
        return (loss, accuracy);
    }

    /// <summary>Mean cross-entropy, accuracy and the confusion matrix of the model on <paramref name="data"/>.</summary>
    /// <param name="data">The examples.</param>
    /// <param name="batchSize">Examples per forward pass.</param>
    /// <returns>The mean loss, the fraction classified correctly, and the counts per (true, predicted) class.</returns>
    public (double Loss, double Accuracy, ConfusionMatrix Confusion) EvaluateWithConfusion(LabeledImages data, int batchSize = 1000)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var noGrad = torch.no_grad();
        double lossSum = 0;
        long correct = 0;
        var confusion = new ConfusionMatrix(FashionMnist.ClassCount);
        for (long start = 0; start < data.Count; start += batchSize)
        {
            using var scope = torch.NewDisposeScope();
            var length = Math.Min(batchSize, data.Count - start);
            var (x, y) = data.Slice(start, length);
            var (logits, _) = Model.Apply(Params, State, new ModelInput(x, IsTraining: false));
            lossSum += Losses.SoftmaxCrossEntropy(logits, y).item<float>() * length;
            var predicted = logits.argmax(1);
            correct += predicted.eq(y).sum().item<long>();
            confusion.Add(y, predicted);
        }
        return (lossSum / data.Count, (double)correct / data.Count, confusion);
    }

    /// <summary>The class probabilities (softmax of the logits) of each image.</summary>
    /// <param name="images">float32 [N, 1, 28, 28] in [0, 1].</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <returns>One array of 10 probabilities per image.</returns>
    public IReadOnlyList<double[]> Probabilities(Tensor images, int batchSize = 1000)
    {
        ArgumentNullException.ThrowIfNull(images);
        using var noGrad = torch.no_grad();
        var result = new List<double[]>();
        for (long start = 0; start < images.shape[0]; start += batchSize)
        {
            using var scope = torch.NewDisposeScope();
            var x = images.narrow(0, start, Math.Min(batchSize, images.shape[0] - start));
            var (logits, _) = Model.Apply(Params, State, new ModelInput(x, IsTraining: false));
            var p = torch.nn.functional.softmax(logits.to_type(ScalarType.Float64), 1).cpu();
            var flat = p.data<double>().ToArray();
            var classes = (int)p.shape[1];
            for (var i = 0; i < p.shape[0]; i++) result.Add(flat.AsSpan(i * classes, classes).ToArray());
        }
        return result;
    }
}
