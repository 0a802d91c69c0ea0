using MiniHaiku.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Training;

/// <summary>
/// Builds <see cref="Trainer{TBatch}"/>s: from a loss over parameters, or from a Haiku-style
/// transformed model plus a loss on its output.
/// </summary>
public static class Trainer
{
    /// <summary>A trainer for a stateless loss <c>(params, batch, key) -> scalar</c>.</summary>
    /// <typeparam name="TBatch">The batch type.</typeparam>
    /// <param name="loss">The loss; <c>key</c> is this step's random key (for dropout and the like).</param>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="batchSize">The number of samples in a batch (for throughput); null counts one per batch.</param>
    /// <returns>The trainer.</returns>
    public static Trainer<TBatch> Create<TBatch>(Func<Params, TBatch, RngKey, Tensor> loss, GradientTransformation optimizer, Func<TBatch, long>? batchSize = null)
    {
        ArgumentNullException.ThrowIfNull(loss);
        return new((p, s, b, k) => (loss(p, b, k), s), optimizer, batchSize);
    }

    /// <summary>A trainer for a stateful loss <c>(params, state, batch, key) -> (scalar, new state)</c>.</summary>
    /// <typeparam name="TBatch">The batch type.</typeparam>
    /// <param name="loss">The loss and the updated model state.</param>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="batchSize">The number of samples in a batch (for throughput); null counts one per batch.</param>
    /// <returns>The trainer.</returns>
    public static Trainer<TBatch> Create<TBatch>(Func<Params, Params, TBatch, RngKey, (Tensor Loss, Params State)> loss, GradientTransformation optimizer, Func<TBatch, long>? batchSize = null) =>
        new(loss, optimizer, batchSize);

    /// <summary>
    /// A trainer for a transformed model: each step runs <c>model.Apply(params, input(batch, true), key)</c>
    /// and <paramref name="loss"/> on the output.
    /// </summary>
    /// <typeparam name="TIn">The model input type.</typeparam>
    /// <typeparam name="TOut">The model output type.</typeparam>
    /// <typeparam name="TBatch">The batch type.</typeparam>
    /// <param name="model">The transformed model.</param>
    /// <param name="input">Builds the model input from a batch and the is-training flag (always true here).</param>
    /// <param name="loss">The loss of the model output on the batch.</param>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="batchSize">The number of samples in a batch (for throughput); null counts one per batch.</param>
    /// <returns>The trainer.</returns>
    public static Trainer<TBatch> ForModel<TIn, TOut, TBatch>(Transformed<TIn, TOut> model, Func<TBatch, bool, TIn> input,
        Func<TOut, TBatch, Tensor> loss, GradientTransformation optimizer, Func<TBatch, long>? batchSize = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(loss);
        return Create<TBatch>((p, b, k) => loss(model.Apply(p, input(b, true), k), b), optimizer, batchSize);
    }

    /// <summary>
    /// A trainer for a stateful transformed model: each step runs
    /// <c>model.Apply(params, state, input(batch, true), key)</c>, takes the new state, and
    /// <paramref name="loss"/> on the output.
    /// </summary>
    /// <typeparam name="TIn">The model input type.</typeparam>
    /// <typeparam name="TOut">The model output type.</typeparam>
    /// <typeparam name="TBatch">The batch type.</typeparam>
    /// <param name="model">The transformed model.</param>
    /// <param name="input">Builds the model input from a batch and the is-training flag (always true here).</param>
    /// <param name="loss">The loss of the model output on the batch.</param>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="batchSize">The number of samples in a batch (for throughput); null counts one per batch.</param>
    /// <returns>The trainer.</returns>
    public static Trainer<TBatch> ForModel<TIn, TOut, TBatch>(TransformedWithState<TIn, TOut> model, Func<TBatch, bool, TIn> input,
        Func<TOut, TBatch, Tensor> loss, GradientTransformation optimizer, Func<TBatch, long>? batchSize = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(loss);
        return Create<TBatch>((p, s, b, k) =>
        {
            var (output, state) = model.Apply(p, s, input(b, true), k);
            return (loss(output, b), state);
        }, optimizer, batchSize);
    }
}
