using System.Diagnostics;
using MiniHaiku.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Training;

/// <summary>
/// The imperative training loop: one <see cref="Step"/> computes the gradients of the loss
/// (<see cref="Grad"/>), updates the optimizer and returns a new <see cref="TrainState"/>;
/// <see cref="Fit"/> runs steps over batches and owns tensor lifetimes, so native memory stays flat.
/// Build one with <see cref="Trainer"/>.
/// </summary>
/// <typeparam name="TBatch">The batch type.</typeparam>
public sealed class Trainer<TBatch>
{
    private readonly Func<Params, Params, TBatch, RngKey, (Tensor Loss, Params State)> loss;
    private readonly Func<TBatch, long>? batchSize;

    internal Trainer(Func<Params, Params, TBatch, RngKey, (Tensor Loss, Params State)> loss, GradientTransformation optimizer, Func<TBatch, long>? batchSize)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(optimizer);
        this.loss = loss;
        Optimizer = optimizer;
        this.batchSize = batchSize;
    }

    /// <summary>The optimizer.</summary>
    public GradientTransformation Optimizer { get; }

    /// <summary>The starting state: step 0, a fresh optimizer state for <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The initial parameters (e.g. from <c>Init</c>).</param>
    /// <param name="seed">Seeds the per-step random keys.</param>
    /// <param name="state">The initial model state, or null for none.</param>
    /// <returns>The state.</returns>
    public TrainState Init(Params parameters, long seed, Params? state = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        using var scope = torch.NewDisposeScope();
        var opt = Optimizer.Init(parameters);
        MoveOut(scope, opt.Tensors());
        return new TrainState(parameters, state ?? Params.Empty, opt, 0, RngKey.FromSeed(seed).Fold("train"));
    }

    /// <summary>
    /// One training step on <paramref name="batch"/>. Every temporary tensor is disposed before it
    /// returns; <paramref name="state"/> is left intact (dispose it yourself, or use <see cref="Fit"/>).
    /// </summary>
    /// <param name="state">The current state.</param>
    /// <param name="batch">The batch.</param>
    /// <returns>The new state and the batch loss (before the update).</returns>
    public (TrainState State, double Loss) Step(TrainState state, TBatch batch)
    {
        ArgumentNullException.ThrowIfNull(state);
        using var scope = torch.NewDisposeScope();
        var (nextRng, stepKey) = state.Rng.Split();
        var modelState = state.State;
        var valueAndGrad = Grad.ValueAndGradWithAux(p => loss(p, modelState, batch, stepKey));
        var (value, newModelState, grads) = valueAndGrad(state.Params);
        double lossValue;
        using (var asDouble = value.to_type(ScalarType.Float64)) lossValue = asDouble.item<double>();
        var (updates, newOpt) = Optimizer.Update(grads, state.OptState, state.Params, new UpdateExtraArgs(lossValue)); // the loss reaches ReduceOnPlateau
        var newParams = state.Params.ApplyUpdates(updates);
        newModelState = newModelState.Map(t => t.requires_grad ? t.detach() : t);

        MoveOut(scope, newParams.Values);
        MoveOut(scope, newModelState.Values);
        MoveOut(scope, newOpt.Tensors());
        return (new TrainState(newParams, newModelState, newOpt, state.Step + 1, nextRng), lossValue);
    }

    /// <summary>
    /// Runs <see cref="Step"/> on every batch. Each intermediate state is disposed as soon as the next
    /// exists (tensors shared with it are kept); the state passed in is never disposed. Reports
    /// progress every <paramref name="reportEvery"/> steps.
    /// </summary>
    /// <param name="state">The starting state (not disposed).</param>
    /// <param name="batches">The batches, consumed once.</param>
    /// <param name="progress">Receives a <see cref="TrainProgress"/> every <paramref name="reportEvery"/> steps, or null.</param>
    /// <param name="reportEvery">How often to report; at least 1.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    /// <returns>The final state.</returns>
    public TrainState Fit(TrainState state, IEnumerable<TBatch> batches, IProgress<TrainProgress>? progress = null,
        int reportEvery = 1, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentOutOfRangeException.ThrowIfLessThan(reportEvery, 1);
        var initial = new HashSet<Tensor>(state.Tensors(), ReferenceEqualityComparer.Instance);
        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        long samples = 0;
        var current = state;
        foreach (var batch in batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (next, lossValue) = Step(current, batch);
            samples += batchSize?.Invoke(batch) ?? 1;
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
