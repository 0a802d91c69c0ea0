using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

public static partial class Losses
{
    /// <summary>
    /// The triplet margin loss per example (<c>optax.losses.triplet_margin_loss</c>):
    /// <c>max(d(a, p) − d(a, n) + margin, 0)</c> with <c>d(x, y) = (Σ (x − y)^normDegree + eps)^(1/normDegree)</c>
    /// over the last axis.
    /// </summary>
    /// <param name="anchors">Floating-point embeddings <c>[..., d]</c>.</param>
    /// <param name="positives">Embeddings of the same class, same shape.</param>
    /// <param name="negatives">Embeddings of other classes, same shape.</param>
    /// <param name="normDegree">The degree of the distance.</param>
    /// <param name="margin">The margin.</param>
    /// <param name="eps">Added inside the root for a finite gradient at distance 0.</param>
    /// <returns>The losses, shape <c>[...]</c>.</returns>
    /// <exception cref="LayerInputException">Shapes or dtypes differ, or the inputs are not floating point.</exception>
    public static Tensor TripletMarginLoss(Tensor anchors, Tensor positives, Tensor negatives, double normDegree = 2, double margin = 1.0, double eps = 1e-6)
    {
        const string name = nameof(TripletMarginLoss);
        RequireFloating(anchors, "anchors", name);
        RequireFloating(positives, "positives", name);
        RequireFloating(negatives, "negatives", name);
        RequireSameShape(anchors, "anchors", positives, "positives", name);
        RequireSameShape(anchors, "anchors", negatives, "negatives", name);
        RequireSameDType(anchors, "anchors", positives, "positives", name);
        RequireSameDType(anchors, "anchors", negatives, "negatives", name);
        if (anchors.dim() == 0) throw new LayerInputException(name, "needs embeddings with at least one axis, got scalars.");
        using var scope = torch.NewDisposeScope();
        Tensor Distance(Tensor other) => anchors.Minus(other).Power(normDegree).sum([-1L]).Plus(eps).Power(1 / normDegree);
        return Distance(positives).Minus(Distance(negatives)).Plus(margin).ClampMin(0).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The normalized temperature-scaled cross-entropy loss of SimCLR (<c>optax.losses.ntxent</c>, Chen et al.
    /// 2020), a scalar: for every ordered pair of distinct examples with the same label, the softmax
    /// cross-entropy of their cosine similarity (divided by <paramref name="temperature"/>) against those of
    /// the examples with other labels, averaged over the pairs.
    /// </summary>
    /// <param name="embeddings">Floating-point embeddings <c>[batch, d]</c>.</param>
    /// <param name="labels">Integer labels <c>[batch]</c>; examples with equal labels are positives.</param>
    /// <param name="temperature">The temperature.</param>
    /// <returns>A scalar: the mean loss over positive pairs (NaN when there are none, as in Optax).</returns>
    /// <exception cref="LayerInputException">Shapes disagree or the embeddings are not floating point.</exception>
    public static Tensor Ntxent(Tensor embeddings, Tensor labels, double temperature = 0.07)
    {
        const string name = nameof(Ntxent);
        RequireFloating(embeddings, "embeddings", name);
        ArgumentNullException.ThrowIfNull(labels);
        if (embeddings.dim() != 2) throw new LayerInputException(name, $"embeddings must be [batch, d], got {ShapeText.Format(embeddings.shape)}.");
        if (labels.dim() != 1 || labels.shape[0] != embeddings.shape[0])
            throw new LayerInputException(name, $"labels must be [batch] = {ShapeText.Format([embeddings.shape[0]])}, got {ShapeText.Format(labels.shape)}.");
        using var scope = torch.NewDisposeScope();
        var n = embeddings.shape[0];
        var eps = embeddings.dtype == ScalarType.Float64 ? 2.220446049250313e-16 : 1.1920929e-07;
        var xcs = CosineSimilarityUnchecked(embeddings.unsqueeze(0), embeddings.unsqueeze(1), eps).DividedBy(temperature);
        var same = labels.unsqueeze(1).eq(labels.unsqueeze(0));
        var diffs = same.logical_not();
        var matches = same.logical_and(torch.eye(n, dtype: ScalarType.Bool, device: embeddings.device).logical_not());
        var minusInf = SafeOps.WithScalar(double.NegativeInfinity, s => torch.full_like(xcs, s));
        var xcsDiffs = torch.where(diffs, xcs, minusInf);
        var xcsMatches = torch.where(matches, xcs, minusInf);
        var max = torch.cat([xcsDiffs, xcsMatches], 1).amax([1L], keepdim: true).detach();
        var shiftedDiffs = xcsDiffs.Minus(max);
        var shiftedMatches = xcsMatches.Minus(max);
        var denominator = shiftedDiffs.exp().sum([1L], keepdim: true).Plus(shiftedMatches.exp());
        var logSoftmax = shiftedMatches.Minus(denominator.log());
        var total = torch.where(matches, logSoftmax, torch.zeros_like(logSoftmax)).sum().neg();
        return total.div(matches.sum().to_type(total.dtype)).MoveToOuterDisposeScope();
    }
}
