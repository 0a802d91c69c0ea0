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
        ArgumentNullException.ThrowIfNull(data);
        using var noGrad = torch.no_grad();
        double lossSum = 0;
        long correct = 0;
        for (long start = 0; start < data.Count; start += batchSize)
        {
            using var scope = torch.NewDisposeScope();
            var length = Math.Min(batchSize, data.Count - start);
            var (x, y) = data.Slice(start, length);
            var (logits, _) = Model.Apply(Params, State, new ModelInput(x, IsTraining: false));
            lossSum += Losses.SoftmaxCrossEntropy(logits, y).item<float>() * length;
            correct += logits.argmax(1).eq(y).sum().item<long>();
        }
        return (lossSum / data.Count, (double)correct / data.Count);
    }
}
