using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using MiniHaiku.Internal;
using MiniHaiku.Optim;
using MiniHaiku.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Distributed;

/// <summary>
/// Data-parallel training over the ranks of an <see cref="MpiSession"/>: every rank holds the same
/// parameters, computes the gradients of the loss on its own shard of each batch (see
/// <see cref="ShardSampler"/>), and the gradients are averaged over all ranks, weighted by shard sizes,
/// so the step equals one on the whole batch. The averaging is one in-place <c>MPI_Allreduce</c> per
/// dtype over a flat buffer (float32 for every non-float64 floating tensor, float64 for float64 ones),
/// which also carries the shard sizes, the losses and a failure flag per rank. Floating model state
/// (BatchNorm statistics) is averaged the same way. Every rank then applies the same optimizer update,
/// so parameters stay bitwise identical. Build one with <see cref="DataParallel"/>.
/// </summary>
/// <remarks>
/// <para>Each rank's step key is the single-process key folded with its rank (when there is more than one
/// rank), so dropout masks differ between shards. Model state that is not floating point (counters) is
/// not averaged: each rank keeps its own, which stays equal as long as every rank gets a non-empty shard
/// of every batch (a batch shorter than the number of ranks leaves some shards empty).</para>
/// <para>The batch loss returned and reported is the shard losses averaged over ranks in float32 (it travels
/// in the float32 buffer); it is the same on every rank, so loss-driven optimizers (ReduceOnPlateau) stay in
/// step. The buffers are exchanged from host memory (tensors on another device are copied to the CPU and back).</para>
/// </remarks>
/// <typeparam name="TBatch">The batch (shard) type.</typeparam>
public sealed class DataParallelTrainer<TBatch>
{
    private readonly Func<Params, Params, TBatch, RngKey, (Tensor Loss, Params State)> loss;
    private readonly Func<TBatch, long>? batchSize;

    internal DataParallelTrainer(MpiSession session, Func<Params, Params, TBatch, RngKey, (Tensor Loss, Params State)> loss,
        GradientTransformation optimizer, Func<TBatch, long>? batchSize)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(optimizer);
        Session = session;
        this.loss = loss;
        Optimizer = optimizer;
        this.batchSize = batchSize;
    }

    /// <summary>The MPI session whose ranks train together.</summary>
    public MpiSession Session { get; }

    /// <summary>The optimizer (applied identically on every rank).</summary>
    public GradientTransformation Optimizer { get; }

    /// <summary>Time this rank spent in the last <see cref="Step"/>'s all-reduce (waiting for slower ranks included).</summary>
    public TimeSpan LastCommunicationTime { get; private set; }

    /// <summary>
    /// The starting state on every rank: rank 0's <paramref name="parameters"/> and <paramref name="state"/>
    /// are broadcast (one <c>MPI_Bcast</c> of their bytes), so all ranks start bitwise equal even if their
    /// own initialization differed. Checks first that all ranks have the same names, shapes, dtypes and
    /// seed. The tensors passed in are not changed or disposed; the returned state holds new ones.
    /// </summary>
    /// <param name="parameters">The initial parameters (e.g. from <c>Init</c>).</param>
    /// <param name="seed">Seeds the per-step random keys; must be the same on every rank.</param>
    /// <param name="state">The initial model state, or null for none.</param>
    /// <returns>The state.</returns>
    /// <exception cref="DistributedException">The ranks disagree on structure or seed (raised on every rank).</exception>
    public TrainState Init(Params parameters, long seed, Params? state = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        state ??= Params.Empty;
        AgreeOnStructure(parameters, state, seed);
        using var scope = torch.NewDisposeScope();
        var entries = parameters.Concat(state).ToList();
        var contiguous = entries.Select(e => e.Value.detach().cpu().contiguous()).ToList();
        var buffer = new byte[contiguous.Sum(t => t.numel() * t.ElementSize)];
        long offset = 0;
        foreach (var t in contiguous)
        {
            if (t.numel() == 0) continue;
            var bytes = t.bytes;
            bytes.CopyTo(buffer.AsSpan((int)offset));
            offset += bytes.Length;
        }
        Session.BroadcastBytes(buffer, 0);
        offset = 0;
        var copies = new List<KeyValuePair<string, Tensor>>(entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            var (name, original) = entries[i];
            var copy = contiguous[i].clone();
            var length = (int)(copy.numel() * copy.ElementSize);
            if (length > 0) copy.bytes = buffer.AsSpan((int)offset, length);
            offset += length;
            copy = copy.to(original.device);
            if (original.requires_grad) copy = copy.requires_grad_(true);
            copies.Add(new(name, copy));
        }
        var newParams = Params.Create(copies.Take(parameters.Count));
        var newState = Params.Create(copies.Skip(parameters.Count));
        var opt = Optimizer.Init(newParams);
        MoveOut(scope, newParams.Values);
        MoveOut(scope, newState.Values);
        MoveOut(scope, opt.Tensors());
        return new TrainState(newParams, newState, opt, 0, RngKey.FromSeed(seed).Fold("train"));
    }

    /// <summary>
    /// One data-parallel step: this rank's gradients on <paramref name="shard"/> are averaged with every
    /// other rank's, then the optimizer updates. Every rank must call it the same number of times. If the
    /// loss fails on any rank, every rank throws a <see cref="DistributedException"/> at this step (the
    /// failing rank's carries the original error), so none is left waiting.
    /// </summary>
    /// <param name="state">The current state (the same on every rank; left intact).</param>
    /// <param name="shard">This rank's part of the batch.</param>
    /// <returns>The new state and the loss of the whole batch (the shard losses averaged by shard size).</returns>
    /// <exception cref="DistributedException">A rank failed in this step.</exception>
    public (TrainState State, double Loss) Step(TrainState state, TBatch shard)
    {
        ArgumentNullException.ThrowIfNull(state);
        var (next, value, _) = StepCore(state, true, shard, null);
        return (next!, value);
    }

    /// <summary>
    /// Runs <see cref="Step"/> on every shard; intermediate states are disposed as soon as the next
    /// exists (the state passed in never is). Progress is reported on rank 0 only. Ends with one more
    /// collective round in which the ranks check they all ran out of batches together (a rank with more
    /// batches than another would otherwise wait forever).
    /// </summary>
    /// <param name="state">The starting state (not disposed).</param>
    /// <param name="shards">This rank's shards, one per global batch (e.g. <see cref="ShardSampler.Batches"/>).</param>
    /// <param name="progress">Receives a report every <paramref name="reportEvery"/> steps on rank 0 (ignored elsewhere), or null.</param>
    /// <param name="reportEvery">How often to report; at least 1.</param>
    /// <param name="cancellationToken">Stops between steps (cancel on every rank).</param>
    /// <returns>The final state.</returns>
    /// <exception cref="DistributedException">A rank failed (every rank throws at the same step) or the ranks got different numbers of batches.</exception>
    public TrainState Fit(TrainState state, IEnumerable<TBatch> shards, IProgress<TrainProgress>? progress = null,
        int reportEvery = 1, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(shards);
        if (reportEvery < 1) throw new DistributedException($"reportEvery must be at least 1, got {reportEvery}.");
        if (!Session.IsRoot) progress = null;
        var initial = new HashSet<Tensor>(state.Tensors(), ReferenceEqualityComparer.Instance);
        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        long samples = 0;
        var current = state;
        using var enumerator = shards.GetEnumerator();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            bool has;
            TBatch shard = default!;
            Exception? readError = null;
            try
            {
                has = enumerator.MoveNext();
                if (has) shard = enumerator.Current;
            }
            catch (Exception e) { has = true; readError = e; }
            var (next, lossValue, totalWeight) = StepCore(current, has, shard, readError);
            if (next is null) break; // every rank ran out of batches
            samples += totalWeight;
            if (!ReferenceEquals(current, state)) DisposeSuperseded(current, next, initial);
            current = next;
            if (progress is not null && current.Step % reportEvery == 0)
            {
                var now = clock.Elapsed;
                var seconds = (now - lastReport).TotalSeconds;
                progress.Report(new TrainProgress(current.Step, lossValue, seconds > 0 ? samples / seconds : 0, now));
                lastReport = now;
                samples = 0;
            }
        }
        return current;
    }

    /// <summary>
    /// The collective step. <paramref name="hasBatch"/> false means this rank has no more batches: if no
    /// rank has one, returns a null state; if some do, every rank throws.
    /// </summary>
    private (TrainState? State, double Loss, long Weight) StepCore(TrainState state, bool hasBatch, TBatch shard, Exception? error)
    {
        var size = Session.Size;
        var rank = Session.Rank;
        using var scope = torch.NewDisposeScope();
        var (nextRng, stepKey) = state.Rng.Split();
        if (size > 1) stepKey = stepKey.Fold(rank); // different dropout masks on different shards
        var modelState = state.State;
        var weight = 0L;
        double localLoss = 0;
        Params? grads = null;
        Params? newModelState = null;
        if (hasBatch && error is null)
        {
            try
            {
                weight = batchSize?.Invoke(shard) ?? 1;
                if (weight < 0) throw new InvalidOperationException($"the batch size function returned {weight}.");
                if (weight > 0)
                {
                    var valueAndGrad = Grad.ValueAndGradWithAux(p => loss(p, modelState, shard, stepKey));
                    var (value, s, g) = valueAndGrad(state.Params);
                    using (var asDouble = value.to_type(ScalarType.Float64)) localLoss = asDouble.item<double>();
                    grads = g;
                    newModelState = s.Map(t => t.requires_grad ? t.detach() : t);
                    RequireSameLayout(modelState, newModelState);
                }
            }
            catch (Exception e) { error = e; weight = 0; }
        }
        if (error is not null) weight = 0;

        // Layout: floating parameters (their gradients), then floating model state, each sent as float32
        // or float64; the float32 buffer ends with [total weight, weighted loss, failed[size], done[size]].
        var gradKeys = state.Params.Where(kv => kv.Value.is_floating_point()).Select(kv => kv.Key).ToList();
        var stateKeys = modelState.Where(kv => kv.Value.is_floating_point()).Select(kv => kv.Key).ToList();
        var items = new List<(string Key, bool IsGrad, Tensor Like, Tensor? Value)>();
        foreach (var k in gradKeys) items.Add((k, true, state.Params[k], grads is not null && grads.TryGetValue(k, out var g) ? g : null));
        foreach (var k in stateKeys) items.Add((k, false, modelState[k], newModelState?[k]));

        var f32Parts = new List<Tensor>();
        var f64Parts = new List<Tensor>();
        foreach (var (_, _, like, value) in items)
        {
            var wire = WireType(like.dtype);
            var part = value is null || weight == 0
                ? torch.zeros(like.numel(), dtype: wire)
                : value.detach().cpu().reshape(-1).to_type(wire);
            (wire == ScalarType.Float64 ? f64Parts : f32Parts).Add(part);
        }
        var extras = new float[2 + 2 * size];
        extras[0] = weight;
        extras[1] = (float)(localLoss * weight);
        if (error is not null) extras[2 + rank] = 1;
        if (!hasBatch) extras[2 + size + rank] = 1;
        f32Parts.Add(torch.tensor(extras));
        using var f32 = torch.cat(f32Parts, 0);
        using var f64 = f64Parts.Count > 0 ? torch.cat(f64Parts, 0) : null;
        var f32Count = f32.numel() - extras.Length;
        if (weight > 1)
        {
            using var values = f32.narrow(0, 0, f32Count);
            values.TimesInPlace(weight);
            f64?.TimesInPlace(weight);
        }

        var before = Session.CommunicationTime;
        Session.AllreduceSumInPlace(f32);
        if (f64 is not null) Session.AllreduceSumInPlace(f64);
        LastCommunicationTime = Session.CommunicationTime - before;

        var summary = f32.narrow(0, f32Count, extras.Length).data<float>().ToArray();
        var failed = Enumerable.Range(0, size).Where(r => summary[2 + r] != 0).ToList();
        var done = Enumerable.Range(0, size).Where(r => summary[2 + size + r] != 0).ToList();
        if (failed.Count > 0)
        {
            var who = failed.Count == 1 ? $"Rank {failed[0]} of {size}" : $"Ranks {string.Join(", ", failed)} of {size}";
            var message = error is not null
                ? $"{who} failed at step {state.Step + 1}; this rank's error: {error.GetType().Name}: {error.Message}. Every rank stops at this step."
                : $"{who} failed at step {state.Step + 1} (its error is printed by that rank); rank {rank} stops too.";
            throw new DistributedException(message, failed, error) { StoppedAllRanks = true };
        }
        if (done.Count == size) return (null, double.NaN, 0);
        if (done.Count > 0)
            throw new DistributedException(
                $"Rank(s) {string.Join(", ", done)} of {size} ran out of batches at step {state.Step + 1} while others had one: every rank must get a shard of every batch (use ShardSampler on the same data, batch size and shuffle key).",
                done) { StoppedAllRanks = true };
        var totalWeight = summary[0];
        if (!(totalWeight > 0))
            throw new DistributedException($"Every shard of the batch at step {state.Step + 1} was empty (the batch size function returned 0 on all {size} ranks).") { StoppedAllRanks = true };
        var globalLoss = summary[1] / (double)totalWeight;
        using (var values = f32.narrow(0, 0, f32Count)) SafeOps.WithScalar(totalWeight, s => values.div_(s));
        if (f64 is not null) SafeOps.WithScalar(totalWeight, s => f64.div_(s));

        var averagedGrads = new List<KeyValuePair<string, Tensor>>();
        var averagedState = modelState.Where(kv => !kv.Value.is_floating_point())
            .Select(kv => new KeyValuePair<string, Tensor>(kv.Key, newModelState?[kv.Key] ?? kv.Value)).ToList();
        long o32 = 0, o64 = 0;
        foreach (var (key, isGrad, like, _) in items)
        {
            var n = like.numel();
            var wire = WireType(like.dtype);
            Tensor view;
            if (wire == ScalarType.Float64) { view = f64!.narrow(0, o64, n); o64 += n; }
            else { view = f32.narrow(0, o32, n); o32 += n; }
            var value = view.reshape(like.shape).to(like.dtype, like.device, copy: true);
            (isGrad ? averagedGrads : averagedState).Add(new(key, value));
        }
        var gradsOut = Params.Create(averagedGrads);
        var (updates, newOpt) = Optimizer.Update(gradsOut, state.OptState, state.Params, new UpdateExtraArgs(globalLoss));
        var newParams = state.Params.ApplyUpdates(updates);
        var stateOut = Params.Create(averagedState);

        MoveOut(scope, newParams.Values);
        MoveOut(scope, stateOut.Values);
        MoveOut(scope, newOpt.Tensors());
        return (new TrainState(newParams, stateOut, newOpt, state.Step + 1, nextRng), globalLoss, (long)totalWeight);
    }

    private static ScalarType WireType(ScalarType dtype) => dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;

    private static void RequireSameLayout(Params before, Params after)
    {
        foreach (var (k, t) in before)
        {
            if (!after.TryGetValue(k, out var u) || u.dtype != t.dtype || !u.shape.AsSpan().SequenceEqual(t.shape))
                throw new InvalidOperationException($"the model state '{k}' changed its shape or dtype (or vanished) in a step; data-parallel training needs a fixed state layout.");
        }
        if (after.Count != before.Count)
            throw new InvalidOperationException($"the model state gained entries in a step ({string.Join(", ", after.Keys.Except(before.Keys).Take(3))}); data-parallel training needs a fixed state layout: pass the state from Init.");
    }

    private void AgreeOnStructure(Params parameters, Params state, long seed)
    {
        var text = new StringBuilder().Append("seed=").Append(seed).Append('\n');
        foreach (var (k, t) in parameters) text.Append("param ").Append(k).Append(' ').Append(t.dtype).Append(' ').AppendJoin(',', t.shape).Append('\n');
        foreach (var (k, t) in state) text.Append("state ").Append(k).Append(' ').Append(t.dtype).Append(' ').AppendJoin(',', t.shape).Append('\n');
        var mine = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        var roots = (byte[])mine.Clone();
        Session.BroadcastBytes(roots, 0);
        var differs = new double[Session.Size];
        differs[Session.Rank] = roots.AsSpan().SequenceEqual(mine) ? 0 : 1;
        Session.AllreduceSum(differs);
        var different = Enumerable.Range(0, Session.Size).Where(r => differs[r] != 0).ToList();
        if (different.Count > 0)
            throw new DistributedException(
                $"Rank(s) {string.Join(", ", different)} of {Session.Size} start with parameters, model state or a seed that differ in structure from rank 0's " +
                $"(names, shapes, dtypes or seed; this is rank {Session.Rank}: {parameters.Count} parameters, {state.Count} state entries, seed {seed}). " +
                "Every rank must build the same model on the same input shape and pass the same seed.", different) { StoppedAllRanks = true };
    }

    private static void DisposeSuperseded(TrainState old, TrainState next, HashSet<Tensor> keep)
    {
        var live = new HashSet<Tensor>(next.Tensors(), ReferenceEqualityComparer.Instance);
        var done = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var t in old.Tensors())
            if (!live.Contains(t) && !keep.Contains(t) && done.Add(t)) t.Dispose();
    }

    private static void MoveOut(DisposeScope scope, IEnumerable<Tensor> tensors)
    {
        foreach (var t in tensors)
            if (scope.Contains(t)) scope.MoveToOuter(t);
    }
}
