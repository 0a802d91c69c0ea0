using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

public static partial class Losses
{
    /// <summary>Elementwise <c>(predictions − targets)²</c> (<c>optax.losses.squared_error</c>; no mean).</summary>
    /// <param name="predictions">Floating-point predictions.</param>
    /// <param name="targets">Targets of the same shape and dtype, or null for zero targets.</param>
    /// <returns>The squared errors, shaped like <paramref name="predictions"/>.</returns>
    /// <exception cref="LayerInputException">Shapes or dtypes differ, or the predictions are not floating point.</exception>
    public static Tensor SquaredError(Tensor predictions, Tensor? targets = null)
    {
        using var scope = torch.NewDisposeScope();
        return Errors(predictions, targets, nameof(SquaredError)).Squared().MoveToOuterDisposeScope();
    }

    /// <summary>Elementwise <c>½(predictions − targets)²</c> (<c>optax.losses.l2_loss</c>; no mean).</summary>
    /// <param name="predictions">Floating-point predictions.</param>
    /// <param name="targets">Targets of the same shape and dtype, or null for zero targets.</param>
    /// <returns>Half the squared errors.</returns>
    /// <exception cref="LayerInputException">Shapes or dtypes differ, or the predictions are not floating point.</exception>
    public static Tensor L2Loss(Tensor predictions, Tensor? targets = null)
    {
        using var scope = torch.NewDisposeScope();
        return Errors(predictions, targets, nameof(L2Loss)).Squared().Times(0.5).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Elementwise Huber loss (<c>optax.losses.huber_loss</c>; no mean): <c>½e²</c> for <c>|e| ≤ delta</c>,
    /// else <c>delta·(|e| − ½delta)</c>, with <c>e = predictions − targets</c>.
    /// </summary>
    /// <param name="predictions">Floating-point predictions.</param>
    /// <param name="targets">Targets of the same shape and dtype, or null for zero targets.</param>
    /// <param name="delta">Where the loss turns from quadratic to linear; positive.</param>
    /// <returns>The losses, shaped like <paramref name="predictions"/>.</returns>
    /// <exception cref="LayerInputException">Shapes or dtypes differ, or the predictions are not floating point.</exception>
    public static Tensor HuberLoss(Tensor predictions, Tensor? targets = null, double delta = 1.0)
    {
        using var scope = torch.NewDisposeScope();
        var abs = Errors(predictions, targets, nameof(HuberLoss)).abs();
        var quadratic = abs.ClampMax(delta);
        var linear = abs.Minus(quadratic);
        return quadratic.Squared().Times(0.5).PlusScaled(linear, delta).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Elementwise <c>log(cosh(predictions − targets))</c> (<c>optax.losses.log_cosh</c>; no mean), computed
    /// stably as <c>logaddexp(e, −e) − log 2</c>.
    /// </summary>
    /// <param name="predictions">Floating-point predictions.</param>
    /// <param name="targets">Targets of the same shape and dtype, or null for zero targets.</param>
    /// <returns>The losses, shaped like <paramref name="predictions"/>.</returns>
    /// <exception cref="LayerInputException">Shapes or dtypes differ, or the predictions are not floating point.</exception>
    public static Tensor LogCosh(Tensor predictions, Tensor? targets = null)
    {
        using var scope = torch.NewDisposeScope();
        var e = Errors(predictions, targets, nameof(LogCosh));
        return torch.logaddexp(e, e.neg()).Plus(-Math.Log(2.0)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The cosine similarity along the last axis (<c>optax.losses.cosine_similarity</c>):
    /// <c>Σ a·b / (sqrt(max(Σa², eps))·sqrt(max(Σb², eps)))</c>.
    /// </summary>
    /// <param name="predictions">Floating-point vectors <c>[..., d]</c>.</param>
    /// <param name="targets">Vectors of the same shape and dtype.</param>
    /// <param name="epsilon">A lower bound on each squared norm (Optax's default 0).</param>
    /// <returns>The similarities, shape <c>[...]</c>.</returns>
    /// <exception cref="LayerInputException">Shapes or dtypes differ, or the inputs are not floating point.</exception>
    public static Tensor CosineSimilarity(Tensor predictions, Tensor targets, double epsilon = 0.0)
    {
        const string name = nameof(CosineSimilarity);
        RequireFloating(predictions, "predictions", name);
        RequireFloating(targets, "targets", name);
        RequireSameShape(predictions, "predictions", targets, "targets", name);
        RequireSameDType(predictions, "predictions", targets, "targets", name);
        if (predictions.dim() == 0) throw new LayerInputException(name, "needs vectors (at least one axis), got scalars.");
        return CosineSimilarityUnchecked(predictions, targets, epsilon);
    }

    private static Tensor CosineSimilarityUnchecked(Tensor a, Tensor b, double epsilon)
    {
        using var scope = torch.NewDisposeScope();
        var aNorm = a.Squared().sum([-1L], keepdim: true).ClampMin(epsilon).sqrt();
        var bNorm = b.Squared().sum([-1L], keepdim: true).ClampMin(epsilon).sqrt();
        return a.div(aNorm).mul(b.div(bNorm)).sum([-1L]).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <c>1 − </c><see cref="CosineSimilarity"/> along the last axis (<c>optax.losses.cosine_distance</c>).
    /// </summary>
    /// <param name="predictions">Floating-point vectors <c>[..., d]</c>.</param>
    /// <param name="targets">Vectors of the same shape and dtype.</param>
    /// <param name="epsilon">A lower bound on each squared norm.</param>
    /// <returns>The distances, shape <c>[...]</c>, in [0, 2].</returns>
    /// <exception cref="LayerInputException">Shapes or dtypes differ, or the inputs are not floating point.</exception>
    public static Tensor CosineDistance(Tensor predictions, Tensor targets, double epsilon = 0.0)
    {
        using var similarity = CosineSimilarity(predictions, targets, epsilon);
        return similarity.SubtractedFrom(1.0);
    }
}
