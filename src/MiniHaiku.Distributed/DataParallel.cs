using MiniHaiku.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Distributed;

/// <summary>
/// Builds <see cref="DataParallelTrainer{TBatch}"/>s, with the same shapes of loss as
/// <see cref="Training.Trainer"/>. The loss is this rank's mean over its shard; pass
/// <c>batchSize</c> (the shard's example count) so that unequal shards are weighted correctly and
/// the averaged gradient equals the gradient of the mean over the whole batch.
/// </summary>
/// <example>
/// <code>
/// var trainer = DataParallel.ForModel(mpi, model, (Batch b, bool training) => b.Images,
///     (logits, b) => Losses.SoftmaxCrossEntropy(logits, b.Labels), Optimizers.Adam(1e-3), b => b.Labels.shape[0]);
/// var state = trainer.Init(parameters, seed: 0);
/// state = trainer.Fit(state, ShardSampler.For(mpi).Batches(data.Count, 128, read));
/// </code>
/// </example>
public static class DataParallel
{
    /// <summary>A data-parallel trainer for a stateless loss <c>(params, shard, key) -> scalar</c>.</summary>
    /// <typeparam name="TBatch">The shard type.</typeparam>
    /// <param name="session">The MPI session.</param>
    /// <param name="loss">The mean loss over the shard; <c>key</c> differs per rank and step.</param>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="batchSize">The number of examples in a shard (its weight); null weighs every shard 1.</param>
    /// <returns>The trainer.</returns>
    public static DataParallelTrainer<TBatch> Create<TBatch>(MpiSession session, Func<Params, TBatch, RngKey, Tensor> loss,
        GradientTransformation optimizer, Func<TBatch, long>? batchSize = null)
    {
        ArgumentNullException.ThrowIfNull(loss);
        return new(session, (p, s, b, k) => (loss(p, b, k), s), optimizer, batchSize);
    }

    /// <summary>A data-parallel trainer for a stateful loss <c>(params, state, shard, key) -> (scalar, new state)</c>.</summary>
    /// <typeparam name="TBatch">The shard type.</typeparam>
    /// <param name="session">The MPI session.</param>
    /// <param name="loss">The mean loss over the shard and the updated model state (averaged over ranks).</param>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="batchSize">The number of examples in a shard (its weight); null weighs every shard 1.</param>
    /// <returns>The trainer.</returns>
    public static DataParallelTrainer<TBatch> Create<TBatch>(MpiSession session, Func<Params, Params, TBatch, RngKey, (Tensor Loss, Params State)> loss,
        GradientTransformation optimizer, Func<TBatch, long>? batchSize = null) =>
        new(session, loss, optimizer, batchSize);

    /// <summary>A data-parallel trainer for a transformed model and a loss on its output.</summary>
    /// <typeparam name="TIn">The model input type.</typeparam>
    /// <typeparam name="TOut">The model output type.</typeparam>
    /// <typeparam name="TBatch">The shard type.</typeparam>
    /// <param name="session">The MPI session.</param>
    /// <param name="model">The transformed model.</param>
    /// <param name="input">Builds the model input from a shard and the is-training flag (always true here).</param>
    /// <param name="loss">The mean loss of the model output on the shard.</param>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="batchSize">The number of examples in a shard (its weight); null weighs every shard 1.</param>
    /// <returns>The trainer.</returns>
    public static DataParallelTrainer<TBatch> ForModel<TIn, TOut, TBatch>(MpiSession session, Transformed<TIn, TOut> model,
        Func<TBatch, bool, TIn> input, Func<TOut, TBatch, Tensor> loss, GradientTransformation optimizer, Func<TBatch, long>? batchSize = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(loss);
        return Create<TBatch>(session, (p, b, k) => loss(model.Apply(p, input(b, true), k), b), optimizer, batchSize);
    }

    /// <summary>
    /// A data-parallel trainer for a stateful transformed model (BatchNorm and the like): the new
    /// floating model state of each rank is averaged over ranks, weighted by shard size.
    /// </summary>
    /// <typeparam name="TIn">The model input type.</typeparam>
    /// <typeparam name="TOut">The model output type.</typeparam>
    /// <typeparam name="TBatch">The shard type.</typeparam>
    /// <param name="session">The MPI session.</param>
    /// <param name="model">The transformed model.</param>
    /// <param name="input">Builds the model input from a shard and the is-training flag (always true here).</param>
    /// <param name="loss">The mean loss of the model output on the shard.</param>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="batchSize">The number of examples in a shard (its weight); null weighs every shard 1.</param>
    /// <returns>The trainer.</returns>
    public static DataParallelTrainer<TBatch> ForModel<TIn, TOut, TBatch>(MpiSession session, TransformedWithState<TIn, TOut> model,
        Func<TBatch, bool, TIn> input, Func<TOut, TBatch, Tensor> loss, GradientTransformation optimizer, Func<TBatch, long>? batchSize = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(loss);
        return Create<TBatch>(session, (p, s, b, k) =>
        {
            var (output, state) = model.Apply(p, s, input(b, true), k);
            return (loss(output, b), state);
        }, optimizer, batchSize);
    }
}
