using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// Loss functions. <see cref="SoftmaxCrossEntropy"/>, <see cref="SoftmaxCrossEntropyWithProbabilities"/> and
/// <see cref="Mse"/> return a scalar (the mean over the batch) ready for differentiation. The functions named
/// after <c>optax.losses</c> (<see cref="SigmoidBinaryCrossEntropy"/>, <see cref="HuberLoss"/>, <see cref="CtcLoss"/>, …)
/// follow Optax: they return per-example (or per-element) values, no mean; take <c>.mean()</c> yourself.
/// </summary>
public static partial class Losses
{
    /// <summary>
    /// The mean softmax cross-entropy between <paramref name="logits"/> <c>[..., classes]</c> and integer
    /// <paramref name="labels"/> <c>[...]</c>. With label smoothing ε the target is
    /// <c>(1 − ε)·onehot + ε / classes</c> (as optax's <c>smooth_labels</c>).
    /// </summary>
    /// <param name="logits">Unnormalised scores; the last axis holds the classes.</param>
    /// <param name="labels">Integer class indices with the shape of <paramref name="logits"/> minus its last axis.</param>
    /// <param name="labelSmoothing">ε in [0, 1]; 0 for plain cross-entropy.</param>
    /// <returns>A scalar: the mean loss.</returns>
    /// <exception cref="LayerInputException">Shapes disagree or labels are out of range.</exception>
    public static Tensor SoftmaxCrossEntropy(Tensor logits, Tensor labels, double labelSmoothing = 0.0)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        const string name = nameof(SoftmaxCrossEntropy);
        Activations.Floating(logits, name, "logits");
        TensorChecks.RequireAlive(labels, $"the labels of {name}");
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new LayerInputException(name, $"label smoothing must be in [0, 1], got {labelSmoothing}.");
        long[] ls = logits.shape, ys = labels.shape;
        if (ls.Length == 0 || !ShapeText.SameShape(ls.AsSpan(..^1), ys))
            throw new LayerInputException(name,
                $"logits {ShapeText.Format(ls)} need labels of shape {ShapeText.Format(ls.Length == 0 ? ls : ls[..^1])} (one integer per row), got {ShapeText.Format(ys)}.");
        var classes = ls[^1];
        Activations.CheckLabels(labels, classes, name);
        using var scope = torch.NewDisposeScope();
        // libtorch's fused cross_entropy (log_softmax + nll_loss; with smoothing ε it adds −ε·mean(logp) as above) on the
        // logits seen as [rows, classes]: two kernels and autograd nodes instead of six (log_softmax, gather, neg, the
        // smoothing terms, mean), the same values up to rounding. The labels were checked to lie in [0, classes), so
        // cross_entropy's ignore_index (−100) never applies.
        var rows = ls.Length == 2 ? logits : logits.reshape(-1, classes);
        var targets = labels.dtype == ScalarType.Int64 ? labels : labels.to_type(ScalarType.Int64);
        if (ys.Length != 1) targets = targets.reshape(-1);
        return nn.functional.cross_entropy(rows, targets, label_smoothing: labelSmoothing).MoveToOuterDisposeScope();
    }

    /// <summary>The mean softmax cross-entropy against target probabilities of the same shape as the logits.</summary>
    /// <param name="logits">Unnormalised scores; the last axis holds the classes.</param>
    /// <param name="targets">Probabilities (each row sums to one), same shape as <paramref name="logits"/>.</param>
    /// <returns>A scalar: the mean loss.</returns>
    /// <exception cref="LayerInputException">The shapes differ.</exception>
    public static Tensor SoftmaxCrossEntropyWithProbabilities(Tensor logits, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        Activations.Floating(logits, nameof(SoftmaxCrossEntropyWithProbabilities), "logits");
        TensorChecks.RequireAlive(targets, $"the targets of {nameof(SoftmaxCrossEntropyWithProbabilities)}");
        if (!ShapeText.SameShape(logits.shape, targets.shape))
            throw new LayerInputException(nameof(SoftmaxCrossEntropyWithProbabilities),
                $"logits {ShapeText.Format(logits.shape)} and targets {ShapeText.Format(targets.shape)} must have the same shape.");
        using var scope = torch.NewDisposeScope();
        return (-(targets * logits.log_softmax(-1)).sum(-1)).mean().MoveToOuterDisposeScope();
    }

    /// <summary>The mean squared error, averaged over every element.</summary>
    /// <param name="predictions">The predictions.</param>
    /// <param name="targets">The targets, same shape.</param>
    /// <returns>A scalar: mean((predictions − targets)²).</returns>
    /// <exception cref="LayerInputException">The shapes differ.</exception>
    public static Tensor Mse(Tensor predictions, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(targets);
        TensorChecks.RequireAlive(predictions, "the predictions of Mse");
        TensorChecks.RequireAlive(targets, "the targets of Mse");
        if (!predictions.is_floating_point() && !targets.is_floating_point())
            throw new LayerInputException(nameof(Mse),
                $"needs floating-point predictions or targets, got {predictions.dtype} and {targets.dtype}. Convert them first, e.g. .to_type(ScalarType.Float32).");
        if (!ShapeText.SameShape(predictions.shape, targets.shape))
            throw new LayerInputException(nameof(Mse),
                $"predictions {ShapeText.Format(predictions.shape)} and targets {ShapeText.Format(targets.shape)} must have the same shape.");
        using var scope = torch.NewDisposeScope();
        return predictions.Minus(targets).Squared().mean().MoveToOuterDisposeScope();
    }
}
