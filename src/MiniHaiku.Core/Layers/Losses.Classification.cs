using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

public static partial class Losses
{
    /// <summary>
    /// Elementwise binary cross-entropy on logits (<c>optax.losses.sigmoid_binary_cross_entropy</c>; no mean):
    /// <c>−labels·log σ(x) − (1 − labels)·log σ(−x)</c>, computed stably. Labels may be soft (in [0, 1]).
    /// </summary>
    /// <param name="logits">Floating-point logits.</param>
    /// <param name="labels">Labels of the same shape (converted to the logits' dtype).</param>
    /// <returns>The losses, shaped like <paramref name="logits"/>.</returns>
    /// <exception cref="LayerInputException">Shapes differ or the logits are not floating point.</exception>
    public static Tensor SigmoidBinaryCrossEntropy(Tensor logits, Tensor labels)
    {
        const string name = nameof(SigmoidBinaryCrossEntropy);
        RequireFloating(logits, "logits", name);
        ArgumentNullException.ThrowIfNull(labels);
        RequireSameShape(logits, "logits", labels, "labels", name);
        using var scope = torch.NewDisposeScope();
        return BinaryCrossEntropyUnchecked(logits, labels.to_type(logits.dtype)).MoveToOuterDisposeScope();
    }

    private static Tensor BinaryCrossEntropyUnchecked(Tensor logits, Tensor labels)
    {
        var logP = torch.nn.functional.logsigmoid(logits);
        var logNotP = torch.nn.functional.logsigmoid(logits.neg());
        return labels.mul(logP).neg().Minus(labels.SubtractedFrom(1.0).mul(logNotP));
    }

    /// <summary>
    /// Elementwise sigmoid focal loss (<c>optax.losses.sigmoid_focal_loss</c>, Lin et al. 2017; no mean): the
    /// binary cross-entropy weighted by <c>(1 − p_t)^gamma</c>, and by <c>alpha·labels + (1 − alpha)·(1 − labels)</c>
    /// when <paramref name="alpha"/> is given.
    /// </summary>
    /// <param name="logits">Floating-point logits.</param>
    /// <param name="labels">Labels in [0, 1] of the same shape.</param>
    /// <param name="alpha">The weight of the positive class, or null for no weighting.</param>
    /// <param name="gamma">The focusing exponent.</param>
    /// <returns>The losses, shaped like <paramref name="logits"/>.</returns>
    /// <exception cref="LayerInputException">Shapes differ or the logits are not floating point.</exception>
    public static Tensor SigmoidFocalLoss(Tensor logits, Tensor labels, double? alpha = null, double gamma = 2.0)
    {
        const string name = nameof(SigmoidFocalLoss);
        RequireFloating(logits, "logits", name);
        ArgumentNullException.ThrowIfNull(labels);
        RequireSameShape(logits, "logits", labels, "labels", name);
        using var scope = torch.NewDisposeScope();
        var y = labels.to_type(logits.dtype);
        var ce = BinaryCrossEntropyUnchecked(logits, y);
        // 1 − p_t = y·(1 − σ(x)) + (1 − y)·σ(x), in log space as in Optax (stable for large |x|).
        var positive = SafeOps.WithScalar(0.5, half => y.ge(half));
        var yPrime = torch.where(positive, y, y.SubtractedFrom(1.0));
        var xPrime = torch.where(positive, logits.neg(), logits);
        var logYPrime = yPrime.log();
        var logOneMinusPt = torch.nn.functional.logsigmoid(xPrime).Plus(logYPrime)
            .Plus(Softplus(xPrime.neg().Plus(yPrime.neg().log1p()).Minus(logYPrime)));
        var loss = ce.mul(logOneMinusPt.Times(gamma).exp());
        if (alpha is { } a) loss = y.Times(a).Plus(y.SubtractedFrom(1.0).Times(1 - a)).mul(loss);
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>Elementwise hinge loss <c>max(0, 1 − outputs·targets)</c> for targets ±1 (<c>optax.losses.hinge_loss</c>).</summary>
    /// <param name="predictorOutputs">Floating-point scores.</param>
    /// <param name="targets">Targets in {−1, 1} of the same shape.</param>
    /// <returns>The losses, shaped like the inputs.</returns>
    /// <exception cref="LayerInputException">Shapes differ or the scores are not floating point.</exception>
    public static Tensor HingeLoss(Tensor predictorOutputs, Tensor targets)
    {
        const string name = nameof(HingeLoss);
        RequireFloating(predictorOutputs, "predictorOutputs", name);
        ArgumentNullException.ThrowIfNull(targets);
        RequireSameShape(predictorOutputs, "predictorOutputs", targets, "targets", name);
        using var scope = torch.NewDisposeScope();
        return predictorOutputs.mul(targets.to_type(predictorOutputs.dtype)).SubtractedFrom(1.0).ClampMin(0).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The multiclass hinge loss (<c>optax.losses.multiclass_hinge_loss</c>, Crammer–Singer):
    /// <c>max_k(scores_k + 1 − [k = y]) − scores_y</c> per example.
    /// </summary>
    /// <param name="scores">Floating-point scores <c>[..., classes]</c>.</param>
    /// <param name="labels">Integer labels <c>[...]</c>.</param>
    /// <returns>The losses, shape <c>[...]</c>.</returns>
    /// <exception cref="LayerInputException">Shapes disagree or labels are out of range.</exception>
    public static Tensor MulticlassHingeLoss(Tensor scores, Tensor labels)
    {
        const string name = nameof(MulticlassHingeLoss);
        var oneHot = OneHotLabels(scores, labels, name, out var scope);
        using (scope)
        {
            var best = scores.Plus(1.0).Minus(oneHot).amax([-1L]);
            return best.Minus(scores.mul(oneHot).sum([-1L])).MoveToOuterDisposeScope();
        }
    }

    /// <summary>
    /// Softmax cross-entropy with integer labels per example (<c>optax.losses.softmax_cross_entropy_with_integer_labels</c>;
    /// no mean, unlike <see cref="SoftmaxCrossEntropy"/>).
    /// </summary>
    /// <param name="logits">Floating-point logits <c>[..., classes]</c>.</param>
    /// <param name="labels">Integer labels <c>[...]</c>.</param>
    /// <returns>The losses, shape <c>[...]</c>.</returns>
    /// <exception cref="LayerInputException">Shapes disagree or labels are out of range.</exception>
    public static Tensor SoftmaxCrossEntropyWithIntegerLabels(Tensor logits, Tensor labels)
    {
        const string name = nameof(SoftmaxCrossEntropyWithIntegerLabels);
        var oneHot = OneHotLabels(logits, labels, name, out var scope);
        using (scope)
            return logits.log_softmax(-1).mul(oneHot).sum([-1L]).neg().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The poly-1 loss (<c>optax.losses.poly_loss_cross_entropy</c>, Leng et al. 2022): softmax cross-entropy plus
    /// <c>epsilon·Σ labels·(1 − softmax)</c> over the last axis, per example.
    /// </summary>
    /// <param name="logits">Floating-point logits <c>[..., classes]</c>.</param>
    /// <param name="labels">Target probabilities of the same shape (e.g. one-hot).</param>
    /// <param name="epsilon">The weight of the polynomial term.</param>
    /// <returns>The losses, shape <c>[...]</c>.</returns>
    /// <exception cref="LayerInputException">Shapes or dtypes differ, or the inputs are not floating point.</exception>
    public static Tensor PolyLossCrossEntropy(Tensor logits, Tensor labels, double epsilon = 2.0)
    {
        const string name = nameof(PolyLossCrossEntropy);
        RequireFloating(logits, "logits", name);
        RequireFloating(labels, "labels", name);
        RequireSameShape(logits, "logits", labels, "labels", name);
        RequireSameDType(logits, "logits", labels, "labels", name);
        if (logits.dim() == 0) throw new LayerInputException(name, "needs a class axis, got a scalar.");
        using var scope = torch.NewDisposeScope();
        var oneMinusPt = labels.mul(logits.softmax(-1).SubtractedFrom(1.0)).sum([-1L]);
        var ce = labels.mul(logits.log_softmax(-1)).sum([-1L]).neg();
        return ce.PlusScaled(oneMinusPt, epsilon).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Label smoothing (<c>optax.smooth_labels</c>): <c>(1 − alpha)·labels + alpha / classes</c> over the last axis.
    /// </summary>
    /// <param name="labels">Floating-point target probabilities <c>[..., classes]</c>, e.g. one-hot.</param>
    /// <param name="alpha">The smoothing factor, in [0, 1].</param>
    /// <returns>The smoothed targets.</returns>
    /// <exception cref="LayerInputException">The labels are not floating point or have no class axis.</exception>
    public static Tensor SmoothLabels(Tensor labels, double alpha)
    {
        const string name = nameof(SmoothLabels);
        RequireFloating(labels, "labels", name);
        if (labels.dim() == 0) throw new LayerInputException(name, "needs a class axis, got a scalar.");
        if (!(alpha >= 0 && alpha <= 1)) throw new LayerInputException(name, $"alpha must be in [0, 1], got {alpha}.");
        using var scaled = labels.Times(1 - alpha);
        return scaled.Plus(alpha / labels.shape[^1]);
    }

    /// <summary>
    /// The Kullback–Leibler divergence <c>KL(targets ‖ predictions)</c> over the last axis
    /// (<c>optax.losses.kl_divergence</c>): <c>Σ targets·(log targets − logPredictions)</c>, with
    /// <c>0·log 0 = 0</c>.
    /// </summary>
    /// <param name="logPredictions">Log-probabilities <c>[..., classes]</c> (e.g. <c>log_softmax</c>).</param>
    /// <param name="targets">Probabilities of the same shape and dtype.</param>
    /// <returns>The divergences, shape <c>[...]</c>.</returns>
    /// <exception cref="LayerInputException">Shapes or dtypes differ, or the inputs are not floating point.</exception>
    public static Tensor KlDivergence(Tensor logPredictions, Tensor targets)
    {
        const string name = nameof(KlDivergence);
        CheckKlInputs(logPredictions, targets, name);
        using var scope = torch.NewDisposeScope();
        var zero = torch.zeros_like(targets);
        var logTargets = torch.where(targets.eq(zero), zero, targets.log());
        return targets.mul(logTargets.Minus(logPredictions)).sum([-1L]).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <see cref="KlDivergence"/> with the targets given as log-probabilities
    /// (<c>optax.losses.kl_divergence_with_log_targets</c>): <c>Σ exp(logTargets)·(logTargets − logPredictions)</c>.
    /// </summary>
    /// <param name="logPredictions">Log-probabilities <c>[..., classes]</c>.</param>
    /// <param name="logTargets">Target log-probabilities of the same shape and dtype.</param>
    /// <returns>The divergences, shape <c>[...]</c>.</returns>
    /// <exception cref="LayerInputException">Shapes or dtypes differ, or the inputs are not floating point.</exception>
    public static Tensor KlDivergenceWithLogTargets(Tensor logPredictions, Tensor logTargets)
    {
        const string name = nameof(KlDivergenceWithLogTargets);
        CheckKlInputs(logPredictions, logTargets, name);
        using var scope = torch.NewDisposeScope();
        return logTargets.exp().mul(logTargets.Minus(logPredictions)).sum([-1L]).MoveToOuterDisposeScope();
    }

    private static void CheckKlInputs(Tensor logPredictions, Tensor targets, string name)
    {
        RequireFloating(logPredictions, "logPredictions", name);
        RequireFloating(targets, "targets", name);
        RequireSameShape(logPredictions, "logPredictions", targets, "targets", name);
        RequireSameDType(logPredictions, "logPredictions", targets, "targets", name);
        if (logPredictions.dim() == 0) throw new LayerInputException(name, "needs a class axis, got a scalar.");
    }

    /// <summary>Validates scores [..., C] against integer labels [...] and returns one-hot labels in the scores' dtype (inside the returned scope).</summary>
    private static Tensor OneHotLabels(Tensor scores, Tensor labels, string name, out DisposeScope scope)
    {
        RequireFloating(scores, "scores", name);
        ArgumentNullException.ThrowIfNull(labels);
        long[] ss = scores.shape, ys = labels.shape;
        if (ss.Length == 0 || !ShapeText.SameShape(ss.AsSpan(..^1), ys))
            throw new LayerInputException(name,
                $"scores {ShapeText.Format(ss)} need labels of shape {ShapeText.Format(ss.Length == 0 ? ss : ss[..^1])} (one integer per row), got {ShapeText.Format(ys)}.");
        Activations.CheckLabels(labels, ss[^1], name);
        scope = torch.NewDisposeScope();
        return torch.nn.functional.one_hot(labels.to_type(ScalarType.Int64), ss[^1]).to_type(scores.dtype);
    }

    /// <summary>softplus(z) = max(z, 0) + log1p(exp(−|z|)), stable, without TorchSharp's double-argument overload.</summary>
    private static Tensor Softplus(Tensor z) => z.ClampMin(0).Plus(z.abs().neg().exp().log1p());
}
