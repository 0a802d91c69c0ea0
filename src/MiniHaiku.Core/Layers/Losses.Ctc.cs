using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

public static partial class Losses
{
    /// <summary>
    /// The connectionist temporal classification loss per sequence (<c>optax.losses.ctc_loss</c>, Graves et al.
    /// 2006): <c>−log p(labels | logits)</c> summed over every alignment, with Optax's batch-major, padding-mask
    /// inputs. Computed by libtorch's exact CTC (<c>torch.nn.functional.ctc_loss</c>, no reduction), so an
    /// impossible alignment (labels longer than the input allows) gives +∞ where Optax, which works with
    /// <c>log_epsilon = −1e5</c> instead of −∞, gives a large finite value.
    /// </summary>
    /// <param name="logits">Floating-point logits <c>[batch, time, classes]</c> (the log-softmax is taken here).</param>
    /// <param name="logitPaddings">1 for padded time steps, 0 for real ones, <c>[batch, time]</c>; padding at the end.</param>
    /// <param name="labels">Integer labels <c>[batch, maxLabelLength]</c>, never <paramref name="blankId"/> in real positions.</param>
    /// <param name="labelPaddings">1 for padded label positions, 0 for real ones, <c>[batch, maxLabelLength]</c>; padding at the end.</param>
    /// <param name="blankId">The class index of the blank.</param>
    /// <returns>The losses, shape <c>[batch]</c>, in the logits' dtype.</returns>
    /// <exception cref="LayerInputException">Ranks, shapes or dtypes disagree, or a label is out of range.</exception>
    public static Tensor CtcLoss(Tensor logits, Tensor logitPaddings, Tensor labels, Tensor labelPaddings, long blankId = 0)
    {
        const string name = nameof(CtcLoss);
        RequireFloating(logits, "logits", name);
        ArgumentNullException.ThrowIfNull(logitPaddings);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(labelPaddings);
        if (logits.dim() != 3) throw new LayerInputException(name, $"logits must be [batch, time, classes], got {ShapeText.Format(logits.shape)}.");
        if (labels.dim() != 2) throw new LayerInputException(name, $"labels must be [batch, maxLabelLength], got {ShapeText.Format(labels.shape)}.");
        var (batch, time, classes) = (logits.shape[0], logits.shape[1], logits.shape[2]);
        if (!ShapeText.SameShape(logitPaddings.shape, [batch, time]))
            throw new LayerInputException(name, $"logitPaddings must be [batch, time] = {ShapeText.Format([batch, time])}, got {ShapeText.Format(logitPaddings.shape)}.");
        RequireSameShape(labels, "labels", labelPaddings, "labelPaddings", name);
        if (labels.shape[0] != batch) throw new LayerInputException(name, $"labels have batch size {labels.shape[0]}, logits {batch}.");
        if (blankId < 0 || blankId >= classes) throw new LayerInputException(name, $"blankId {blankId} is not a class index in [0, {classes}).");
        Activations.CheckLabels(labels, classes, name);
        using var scope = torch.NewDisposeScope();
        var inputLengths = logitPaddings.to_type(ScalarType.Float64).sum([1L]).SubtractedFrom(time).round().to_type(ScalarType.Int64);
        var labelLengths = labelPaddings.to_type(ScalarType.Float64).sum([1L]).SubtractedFrom(labels.shape[1]).round().to_type(ScalarType.Int64);
        if (labels.shape[1] == 0)
            labels = torch.zeros([batch, 1], ScalarType.Int64, device: logits.device); // libtorch needs a non-empty label tensor; all lengths are 0
        var logProbs = logits.log_softmax(-1).transpose(0, 1);
        var loss = torch.nn.functional.ctc_loss(logProbs, labels.to_type(ScalarType.Int64), inputLengths, labelLengths,
            blankId, false, torch.nn.Reduction.None);
        return loss.MoveToOuterDisposeScope();
    }
}
