using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Distributed;

/// <summary>
/// Splits every global batch of a data source among the ranks: rank r of N reads only its contiguous
/// part of each batch's indices, and the parts of all ranks are disjoint and together make the batch.
/// Works for any data source that can read examples by index (<see cref="Data.LabeledImages.Batch"/>,
/// a file, a database). Every rank must use the same shuffle key, so that all agree on the batches.
/// </summary>
/// <example>
/// <code>
/// var sampler = new ShardSampler(mpi.Rank, mpi.Size);
/// foreach (var (images, labels) in sampler.Batches(data.Count, 128, data.Batch, shuffle: key.Fold(epoch)))
/// { /* this rank's ~128 / N examples of each batch of 128 */ }
/// </code>
/// </example>
public sealed class ShardSampler
{
    /// <summary>A sampler for rank <paramref name="rank"/> of <paramref name="size"/>.</summary>
    /// <param name="rank">This rank, 0 to <paramref name="size"/> - 1.</param>
    /// <param name="size">The number of ranks; at least 1.</param>
    public ShardSampler(int rank, int size)
    {
        if (size < 1) throw new DistributedException($"size must be at least 1, got {size}.");
        if (rank < 0) throw new DistributedException($"rank must not be negative, got {rank}.");
        if (rank >= size) throw new DistributedException($"rank must be less than size ({size}), got {rank}.");
        Rank = rank;
        Size = size;
    }

    /// <summary>A sampler for this process's place in <paramref name="session"/>.</summary>
    /// <param name="session">The MPI session.</param>
    /// <returns>The sampler.</returns>
    public static ShardSampler For(MpiSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return new ShardSampler(session.Rank, session.Size);
    }

    /// <summary>This rank.</summary>
    public int Rank { get; }

    /// <summary>The number of ranks.</summary>
    public int Size { get; }

    /// <summary>
    /// This rank's part of a batch of <paramref name="batchLength"/> examples: rank r gets positions
    /// [r·L/N, (r+1)·L/N) (integer division), so part sizes differ by at most one and may be 0 when L &lt; N.
    /// </summary>
    /// <param name="batchLength">The global batch length L.</param>
    /// <returns>The first position and the number of positions.</returns>
    public (long Start, long Count) Range(long batchLength)
    {
        if (batchLength < 0) throw new DistributedException($"batchLength must not be negative, got {batchLength}.");
        var start = batchLength * Rank / Size;
        var end = batchLength * (Rank + 1) / Size;
        return (start, end - start);
    }

    /// <summary>This rank's part of a global batch's indices (a view; 1-D int64).</summary>
    /// <param name="batchIndices">The global batch's example indices, [L].</param>
    /// <returns>This rank's indices.</returns>
    public Tensor Take(Tensor batchIndices)
    {
        ArgumentNullException.ThrowIfNull(batchIndices);
        if (batchIndices.dim() != 1)
            throw new DistributedException($"batch indices must be 1-D, got shape ({string.Join(", ", batchIndices.shape)}).");
        var (start, count) = Range(batchIndices.shape[0]);
        return batchIndices.narrow(0, start, count);
    }

    /// <summary>
    /// The batches of one pass over <paramref name="count"/> examples, as this rank's shards: the global
    /// order is <c>0..count-1</c>, or a permutation drawn from <paramref name="shuffle"/> (the same on every
    /// rank), cut into batches of <paramref name="batchSize"/> (the last may be shorter), and each batch cut
    /// by <see cref="Range"/>. <paramref name="read"/> gets this rank's int64 indices and reads those
    /// examples only. Each shard is disposed (if <see cref="IDisposable"/> or a tuple of tensors) when the
    /// next is requested; keep nothing from it.
    /// </summary>
    /// <typeparam name="TBatch">What <paramref name="read"/> returns.</typeparam>
    /// <param name="count">The number of examples in the data source.</param>
    /// <param name="batchSize">The global batch size (over all ranks); at least 1.</param>
    /// <param name="read">Reads the examples at the given indices.</param>
    /// <param name="shuffle">The key of this pass's permutation, or null for the data source's order.</param>
    /// <returns>This rank's shard of every batch (possibly empty shards when a batch is shorter than the rank count).</returns>
    public IEnumerable<TBatch> Batches<TBatch>(long count, int batchSize, Func<Tensor, TBatch> read, RngKey? shuffle = null)
    {
        if (count < 0) throw new DistributedException($"count must not be negative, got {count}.");
        if (batchSize < 1) throw new DistributedException($"batchSize must be at least 1, got {batchSize}.");
        ArgumentNullException.ThrowIfNull(read);
        return Iterate(count, batchSize, read, shuffle);
    }

    private IEnumerable<TBatch> Iterate<TBatch>(long count, int batchSize, Func<Tensor, TBatch> read, RngKey? shuffle)
    {
        Tensor order;
        if (shuffle is { } key)
        {
            using var generator = key.CreateGenerator();
            order = torch.randperm(count, generator: generator);
        }
        else order = torch.arange(count, dtype: ScalarType.Int64);
        using (order)
        {
            for (long start = 0; start < count; start += batchSize)
            {
                var length = Math.Min(batchSize, count - start);
                TBatch batch;
                using (var global = order.narrow(0, start, length))
                using (var mine = Take(global))
                    batch = read(mine);
                try { yield return batch; }
                finally { DisposeBatch(batch); }
            }
        }
    }

    private static void DisposeBatch<TBatch>(TBatch batch)
    {
        switch (batch)
        {
            case IDisposable d: d.Dispose(); break;
            case System.Runtime.CompilerServices.ITuple tuple:
                for (var i = 0; i < tuple.Length; i++)
                    if (tuple[i] is IDisposable item) item.Dispose();
                break;
        }
    }
}
