using System.Diagnostics;
using MiniHaiku.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Training;

/// <summary>
/// The imperative training loop: one <see cref="Step"/> computes the gradients of the loss
/// (<see cref="Grad"/>), updates the optimizer and returns a new <see cref="TrainState"/>;
/// <see cref="Fit(TrainState, IEnumerable{TBatch}, IProgress{TrainProgress}, int, CancellationToken)"/> runs steps over batches and owns tensor lifetimes, so native memory stays flat.
/// Build one with <see cref="Trainer"/>.
/// </summary>
/// <typeparam name="TBatch">The batch type.</typeparam>
public sealed class Trainer<TBatch>
{
    private readonly Func<Params, Params, TBatch, RngKey, (Tensor Loss, Params State)> loss;
    private readonly Func<TBatch, long>? batchSize;
    private readonly Func<TBatch, Device, TBatch>? moveBatch;

    internal Trainer(Func<Params, Params, TBatch, RngKey, (Tensor Loss, Params State)> loss, GradientTransformation optimizer, Func<TBatch, long>? batchSize,
        NonFinitePolicy nonFinite = NonFinitePolicy.Stop, Device? device = null, Func<TBatch, Device, TBatch>? moveBatch = null)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(optimizer);
        if (!Enum.IsDefined(nonFinite)) throw new ModelUsageException($"nonFinite: Not a NonFinitePolicy. (got {nonFinite})");
        this.loss = loss;
        Optimizer = optimizer;
        this.batchSize = batchSize;
        NonFinite = nonFinite;
        Device = device;
        this.moveBatch = moveBatch;
    }

    /// <summary>The device each batch is moved to before a step (<see cref="OnDevice"/>), or null to use batches where they are.</summary>
    public Device? Device { get; }

    /// <summary>
    /// The same trainer, but every batch is moved to <paramref name="device"/> by <paramref name="moveBatch"/> before its
    /// step; the moved copies are disposed with the step's other temporaries. Put the parameters there too
    /// (<c>model.Init(key, input, device)</c>, <see cref="TrainState.To"/> or a checkpoint loaded onto the device).
    /// </summary>
    /// <param name="device">The device, e.g. <c>torch.CUDA</c>.</param>
    /// <param name="moveBatch">Moves one batch, e.g. <c>(b, d) =&gt; (b.Images.to(d), b.Labels.to(d))</c>.</param>
    /// <returns>A new trainer; this one is unchanged.</returns>
    public Trainer<TBatch> OnDevice(Device device, Func<TBatch, Device, TBatch> moveBatch)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(moveBatch);
        return new(loss, Optimizer, batchSize, NonFinite, device, moveBatch);
    }

    /// <summary>What a step does when its loss or gradients are NaN or infinite (default <see cref="NonFinitePolicy.Stop"/>).</summary>
    public NonFinitePolicy NonFinite { get; }

    /// <summary>The same trainer with another <see cref="NonFinitePolicy"/>.</summary>
    /// <param name="policy">Stop (throw) or skip such steps.</param>
    /// <returns>A new trainer; this one is unchanged.</returns>
    public Trainer<TBatch> WithNonFinitePolicy(NonFinitePolicy policy) => new(loss, Optimizer, batchSize, policy, Device, moveBatch);

    /// <summary>
    /// The same trainer, but a step whose loss or gradients are NaN or infinite leaves parameters, model state
    /// and optimizer state unchanged and is counted in <see cref="TrainState.SkippedSteps"/> (Optax's
    /// <c>apply_if_finite</c>) instead of throwing <see cref="NonFiniteTrainingException"/>.
    /// </summary>
    /// <returns>A new trainer; this one is unchanged.</returns>
    public Trainer<TBatch> SkipNonFiniteSteps() => WithNonFinitePolicy(NonFinitePolicy.Skip);

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
    /// returns, also when it throws; <paramref name="state"/> is left intact (dispose it yourself, or use
    /// <see cref="Fit(TrainState, IEnumerable{TBatch}, IProgress{TrainProgress}, int, CancellationToken)"/>). A NaN or infinite loss or gradient throws <see cref="NonFiniteTrainingException"/>
    /// (or, with <see cref="NonFinitePolicy.Skip"/>, returns <paramref name="state"/>'s tensors unchanged with
    /// the step and <see cref="TrainState.SkippedSteps"/> counted).
    /// </summary>
    /// <param name="state">The current state.</param>
    /// <param name="batch">The batch.</param>
    /// <returns>The new state and the batch loss (before the update).</returns>
    /// <exception cref="NonFiniteTrainingException">The loss or a gradient is not finite (policy <see cref="NonFinitePolicy.Stop"/>).</exception>
    public (TrainState State, double Loss) Step(TrainState state, TBatch batch) => StepCore(state, batch, null, NoDonation, null);

    private static readonly Func<Params, bool> NoDonation = _ => false;

    /// <summary>
    /// One step. <paramref name="mayDonate"/> names the flat-backed maps of <paramref name="state"/> (parameters,
    /// optimizer slots) that the caller gives up, so the step may update them in place (JAX's buffer donation);
    /// everything else of <paramref name="state"/> is left as it is.
    /// </summary>
    private (TrainState State, double Loss) StepCore(TrainState state, TBatch batch, Action<Params>? gradientsObserver, Func<Params, bool> mayDonate,
        FlatSession? session)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (Optimizer.Flat is { } flat && FlatLayout.Of(state.Params) is { } layout
            && (layout.Backs(state.Params) || layout.Fits(state.Params)) && FlatUpdate.SlotsFit(layout, state.OptState))
            return FlatStep(flat, layout, state, batch, gradientsObserver, mayDonate, session);
        using var scope = torch.NewDisposeScope();
        if (Device is { } device) batch = moveBatch!(batch, device);
        var (nextRng, stepKey) = state.Rng.Split();
        var modelState = state.State;
        var valueAndGrad = Grad.ValueAndGradWithAux(p => loss(p, modelState, batch, stepKey));
        var (value, newModelState, grads) = valueAndGrad(state.Params);
        gradientsObserver?.Invoke(grads);
        var lossValue = Grad.ReadScalar(value, value.dtype);
        if (FindNonFinite(lossValue, grads) is { } problem)
        {
            if (NonFinite == NonFinitePolicy.Stop) throw new NonFiniteTrainingException(state.Step + 1, null, problem, lossValue);
            return (state with { Step = state.Step + 1, Rng = nextRng, SkippedSteps = state.SkippedSteps + 1 }, lossValue);
        }
        var (updates, newOpt) = Optimizer.Update(grads, state.OptState, state.Params, new UpdateExtraArgs(lossValue)); // the loss reaches ReduceOnPlateau
        var newParams = state.Params.ApplyUpdates(updates);
        newModelState = newModelState.Map(t => t.requires_grad ? t.detach() : t);

        MoveOut(scope, newParams.Values);
        MoveOut(scope, newModelState.Values);
        MoveOut(scope, newOpt.Tensors());
        return (new TrainState(newParams, newModelState, newOpt, state.Step + 1, nextRng) { SkippedSteps = state.SkippedSteps }, lossValue);
    }

    /// <summary>
    /// The fast path for an elementwise optimizer (<see cref="GradientTransformation"/> with a flat form) and parameters
    /// of one floating dtype: the parameters live in one buffer, the autograd leaf is that buffer (the loss sees views
    /// of it, so backward gives one flat gradient), and the optimizer updates whole buffers (<see cref="FlatUpdate"/>).
    /// The values are those of the per-tensor path up to rounding (the update is fused). Fit passes a
    /// <see cref="FlatSession"/>: its autograd leaves and gradient buffer are kept from step to step.
    /// </summary>
    private (TrainState State, double Loss) FlatStep(FlatTransform flat, FlatLayout layout, TrainState state, TBatch batch,
        Action<Params>? gradientsObserver, Func<Params, bool> mayDonate, FlatSession? session)
    {
        using var scope = torch.NewDisposeScope();
        if (Device is { } device) batch = moveBatch!(batch, device);
        var (nextRng, stepKey) = state.Rng.Split();
        var parameters = state.Params;
        if (!layout.Backs(parameters)) parameters = layout.Views(layout.Pack(parameters)); // a private copy: the caller's tensors stay as they are
        var paramsFlat = layout.TryGetFlat(parameters)!;
        Tensor value, gradsFlat;
        ScalarType lossType;
        Params newModelState;
        using (torch.enable_grad())
        {
            if (session?.LeavesFor(layout, parameters) is { } leaves)
            {
                // Fit: leaves kept from step to step (views of the parameters' buffer), whose gradients accumulate in
                // place into views of one flat buffer; nothing per tensor is created for autograd in a step.
                (value, newModelState) = loss(leaves.Map, state.State, batch, stepKey);
                lossType = Grad.RequireScalarLoss(value);
                gradsFlat = leaves.Gradients;
                gradsFlat.zero_();
                if (value.requires_grad) torch.autograd.backward([value], inputs: leaves.Tensors);
            }
            else
            {
                var leaf = paramsFlat.detach().requires_grad_(true);
                (value, newModelState) = loss(layout.UnregisteredViews(leaf), state.State, batch, stepKey);
                lossType = Grad.RequireScalarLoss(value);
                gradsFlat = value.requires_grad
                    ? torch.autograd.grad([value], [leaf], retain_graph: false, create_graph: false, allow_unused: true)[0]
                    : null!;
                if (gradsFlat is null || gradsFlat.IsInvalid) gradsFlat = torch.zeros_like(paramsFlat);
            }
        }
        gradientsObserver?.Invoke(layout.UnregisteredViews(gradsFlat));
        var lossValue = Grad.ReadScalar(value, lossType);
        if (FindNonFinite(lossValue, gradsFlat, layout) is { } problem)
        {
            if (NonFinite == NonFinitePolicy.Stop) throw new NonFiniteTrainingException(state.Step + 1, null, problem, lossValue);
            return (state with { Step = state.Step + 1, Rng = nextRng, SkippedSteps = state.SkippedSteps + 1 }, lossValue);
        }
        // A packed copy of the caller's parameters is this step's own: update it in place.
        var copied = !ReferenceEquals(parameters, state.Params);
        var (newParams, newOpt) = FlatUpdate.Apply(flat, layout, gradsFlat, parameters, state.OptState, p => (copied && ReferenceEquals(p, parameters)) || mayDonate(p));
        newModelState = newModelState.Map(t => t.requires_grad ? t.detach() : t);
        MoveOut(scope, newParams.Values);
        MoveOut(scope, newModelState.Values);
        MoveOut(scope, newOpt.Tensors());
        return (new TrainState(newParams, newModelState, newOpt, state.Step + 1, nextRng) { SkippedSteps = state.SkippedSteps }, lossValue);
    }

    /// <summary>
    /// The flat path's <see cref="FindNonFinite(double, Params)"/>: one sum of the flat gradient in its own dtype (a NaN or
    /// infinity anywhere makes it non-finite; an overflow without one is ruled out by the exact per-tensor scan).
    /// </summary>
    private static string? FindNonFinite(double lossValue, Tensor gradsFlat, FlatLayout layout)
    {
        if (!double.IsFinite(lossValue)) return "loss";
        using (var total = gradsFlat.sum())
            if (double.IsFinite(Grad.ReadScalar(total, layout.DType))) return null;
        using var scope = torch.NewDisposeScope();
        return FindNonFinite(lossValue, layout.UnregisteredViews(gradsFlat));
    }

    /// <summary>
    /// Runs <see cref="Step"/> on every batch. Each intermediate state is disposed as soon as the next
    /// exists (tensors shared with it are kept); the state passed in is never disposed nor changed. With an
    /// elementwise optimizer (Adam, AdamW, SGD, RMSProp, Lion, global-norm clipping, …) and parameters of one floating
    /// dtype, Fit keeps the parameters and optimizer slots in one buffer each and updates the states it made in place
    /// (it owns them and is about to discard them, as JAX's buffer donation), with the values of the per-tensor path up
    /// to rounding (the update is fused). Reports
    /// progress every <paramref name="reportEvery"/> steps. If anything throws (the loss, the batch
    /// enumerator, <paramref name="progress"/>, cancellation, a non-finite step), every state Fit made is
    /// disposed before the exception propagates, so a failed run leaks nothing; the state passed in stays
    /// intact (save checkpoints from <paramref name="progress"/> to keep intermediate results).
    /// </summary>
    /// <param name="state">The starting state (not disposed).</param>
    /// <param name="batches">The batches, consumed once.</param>
    /// <param name="progress">Receives a <see cref="TrainProgress"/> every <paramref name="reportEvery"/> steps, or null.</param>
    /// <param name="reportEvery">How often to report; at least 1.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    /// <returns>The final state.</returns>
    /// <exception cref="NonFiniteTrainingException">A step's loss or gradient is not finite (policy <see cref="NonFinitePolicy.Stop"/>).</exception>
    public TrainState Fit(TrainState state, IEnumerable<TBatch> batches, IProgress<TrainProgress>? progress = null,
        int reportEvery = 1, CancellationToken cancellationToken = default) =>
        FitCore(state, batches, progress, reportEvery, cancellationToken);

    /// <summary>
    /// <see cref="Fit(TrainState, IEnumerable{TBatch}, IProgress{TrainProgress}, int, CancellationToken)"/> over one epoch's batches: the same, except that a <see cref="NonFiniteTrainingException"/>
    /// also names <paramref name="epoch"/>.
    /// </summary>
    /// <param name="state">The starting state (not disposed).</param>
    /// <param name="batches">The epoch's batches, consumed once.</param>
    /// <param name="epoch">The epoch number, for error messages.</param>
    /// <param name="progress">Receives a <see cref="TrainProgress"/> every <paramref name="reportEvery"/> steps, or null.</param>
    /// <param name="reportEvery">How often to report; at least 1.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    /// <returns>The final state.</returns>
    /// <exception cref="NonFiniteTrainingException">A step's loss or gradient is not finite (policy <see cref="NonFinitePolicy.Stop"/>).</exception>
    public TrainState FitEpoch(TrainState state, IEnumerable<TBatch> batches, int epoch, IProgress<TrainProgress>? progress = null,
        int reportEvery = 1, CancellationToken cancellationToken = default)
    {
        try
        {
            return FitCore(state, batches, progress, reportEvery, cancellationToken);
        }
        catch (NonFiniteTrainingException e) when (e.Epoch is null)
        {
            throw e.InEpoch(epoch);
        }
    }

    /// <summary>
    /// Runs <see cref="FitOptions{TBatch}.Epochs"/> epochs with callbacks (<see cref="TrainingCallback"/>), an end-of-epoch
    /// evaluation, window-averaged progress, and a start position to resume from a checkpoint. Memory and failures are
    /// handled as by <see cref="Fit(TrainState, IEnumerable{TBatch}, IProgress{TrainProgress}?, int, CancellationToken)"/>:
    /// every superseded state is disposed, the state passed in never is, and a failure disposes what Fit made.
    /// </summary>
    /// <remarks>
    /// Resuming: with <see cref="FitOptions{TBatch}.StartAt"/> = <c>(epoch, batchesDone)</c>, Fit starts at that epoch and
    /// skips its first <c>batchesDone</c> batches (they are enumerated, not trained on). Given the state saved at that
    /// position and batches that are the same for the same epoch, the resumed run computes bit for bit what the
    /// uninterrupted run would have: the state carries the step count, the random key and the optimizer state.
    /// </remarks>
    /// <param name="state">The starting state (not disposed): from <see cref="Init"/>, or loaded from a checkpoint.</param>
    /// <param name="options">Epochs, batches, evaluation, callbacks.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    /// <returns>The final state, the per-epoch history and why the run stopped early, if it did.</returns>
    /// <exception cref="NonFiniteTrainingException">A step's loss or gradient is not finite (policy <see cref="NonFinitePolicy.Stop"/>); it names the epoch.</exception>
    public FitResult Fit(TrainState state, FitOptions<TBatch> options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Epochs < 1) throw new ModelUsageException($"Epochs must be at least 1, got {options.Epochs}.");
        if (options.ReportEvery < 1) throw new ModelUsageException($"ReportEvery must be at least 1, got {options.ReportEvery}.");
        ArgumentNullException.ThrowIfNull(options.Batches);
        var start = options.StartAt;
        if (start.Epoch < 1 || start.BatchesDone < 0)
            throw new ModelUsageException($"StartAt needs an epoch of at least 1 and a non-negative number of batches done, got {start}.");
        var callbacks = options.Callbacks ?? [];
        var run = new FitRun(options.Epochs);
        var history = new List<EpochEnd>();
        var initial = new HashSet<Tensor>(state.Tensors(), ReferenceEqualityComparer.Instance);
        var donatable = Donatable(state);
        var window = new ReportWindow();
        var current = state;
        var epoch = start.Epoch;
        using var session = new FlatSession();
        try
        {
            for (; epoch <= options.Epochs && !run.StopRequested; epoch++)
            {
                var skip = epoch == start.Epoch ? start.BatchesDone : 0;
                long done = 0, steps = 0, samples = 0;
                double lossSum = 0;
                long finite = 0;
                var epochClock = Stopwatch.StartNew();
                foreach (var batch in options.Batches(epoch))
                {
                    if (done < skip)
                    {
                        done++;
                        continue;
                    }
                    cancellationToken.ThrowIfCancellationRequested();
                    var stepNumber = current.Step + 1;
                    Action<Params>? observer = null;
                    foreach (var c in callbacks)
                        if (c.WantsGradients(stepNumber)) observer += g => c.OnGradients(stepNumber, g);
                    var (next, lossValue) = StepCore(current, batch, observer, ReferenceEquals(current, state) ? NoDonation : donatable, session);
                    var previous = current;
                    current = next;
                    if (!ReferenceEquals(previous, state)) DisposeSuperseded(previous, next, initial);
                    done++;
                    steps++;
                    var n = batchSize?.Invoke(batch) ?? 1;
                    samples += n;
                    if (double.IsFinite(lossValue)) (lossSum, finite) = (lossSum + lossValue, finite + 1);
                    window.Add(lossValue, n);
                    var stepEnd = new StepEnd(run, current, epoch, done, lossValue);
                    foreach (var c in callbacks) c.OnStep(stepEnd);
                    if (current.Step % options.ReportEvery == 0)
                    {
                        var report = window.Close(current.Step, lossValue, epoch);
                        options.Progress?.Report(report);
                        foreach (var c in callbacks) c.OnReport(run, report);
                    }
                    if (run.StopRequested) break;
                }
                if (run.StopRequested) break;
                if (done < skip)
                    throw new ModelUsageException($"Cannot resume at epoch {epoch} after {skip} batches: the epoch has only {done}. Are these the batches of the run that saved the checkpoint?");
                var seconds = epochClock.Elapsed.TotalSeconds;
                IReadOnlyDictionary<string, double> metrics = new Dictionary<string, double>();
                if (options.Evaluate is { } evaluate)
                {
                    metrics = evaluate(current, epoch) ?? throw new InvalidOperationException("FitOptions.Evaluate returned null.");
                    var evaluation = new EvaluationEnd(run, current, epoch, metrics);
                    foreach (var c in callbacks) c.OnEvaluation(evaluation);
                }
                var epochEnd = new EpochEnd(run, current, epoch, finite > 0 ? lossSum / finite : double.NaN, steps, seconds,
                    seconds > 0 ? samples / seconds : 0, metrics);
                history.Add(epochEnd);
                foreach (var c in callbacks) c.OnEpochEnd(epochEnd);
            }
            return new FitResult(current, history, run.StopReason);
        }
        catch (NonFiniteTrainingException e) when (e.Epoch is null)
        {
            if (!ReferenceEquals(current, state)) DisposeSuperseded(current, null, initial);
            throw e.InEpoch(epoch);
        }
        catch
        {
            if (!ReferenceEquals(current, state)) DisposeSuperseded(current, null, initial);
            throw;
        }
    }

    /// <summary>The steps since the last report: their losses and samples, and the time they took.</summary>
    private sealed class ReportWindow
    {
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private TimeSpan last = TimeSpan.Zero;
        private long samples;
        private double lossSum;
        private int finite, steps;

        public void Add(double loss, long batchSamples)
        {
            samples += batchSamples;
            steps++;
            if (double.IsFinite(loss))
            {
                lossSum += loss;
                finite++;
            }
        }

        public TrainProgress Close(long step, double lastLoss, int? epoch)
        {
            var now = clock.Elapsed;
            var seconds = (now - last).TotalSeconds;
            var report = new TrainProgress(step, lastLoss, seconds > 0 ? samples / seconds : 0, now)
            {
                MeanLoss = finite > 0 ? lossSum / finite : double.NaN,
                WindowSteps = steps,
                Epoch = epoch,
            };
            (last, samples, lossSum, finite, steps) = (now, 0, 0, 0, 0);
            return report;
        }
    }

    private TrainState FitCore(TrainState state, IEnumerable<TBatch> batches, IProgress<TrainProgress>? progress,
        int reportEvery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(batches);
        if (reportEvery < 1) throw new ModelUsageException($"reportEvery must be at least 1, got {reportEvery}.");
        var initial = new HashSet<Tensor>(state.Tensors(), ReferenceEqualityComparer.Instance);
        var donatable = Donatable(state);
        var window = new ReportWindow();
        var current = state;
        using var session = new FlatSession();
        try
        {
            foreach (var batch in batches)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (next, lossValue) = StepCore(current, batch, null, ReferenceEquals(current, state) ? NoDonation : donatable, session);
                var previous = current;
                current = next;
                if (!ReferenceEquals(previous, state)) DisposeSuperseded(previous, next, initial);
                window.Add(lossValue, batchSize?.Invoke(batch) ?? 1);
                if (progress is not null && current.Step % reportEvery == 0) progress.Report(window.Close(current.Step, lossValue, null));
            }
            return current;
        }
        catch
        {
            // Fit owns every state it made: none may outlive a failure. The caller's state is kept.
            if (!ReferenceEquals(current, state)) DisposeSuperseded(current, null, initial);
            throw;
        }
    }

    /// <summary>The first non-finite quantity of a step ("loss" or "gradient of '…'"), or null when all are finite.</summary>
    /// <remarks>
    /// Fast path: one float64 sum per gradient and one read-back. A NaN or infinity anywhere makes the total
    /// non-finite; a non-finite total without one (float64 overflow) is ruled out by the exact per-tensor scan,
    /// which also names the gradient. Several times cheaper than <c>isfinite().all()</c> per tensor (no Bool tensors).
    /// </remarks>
    private static string? FindNonFinite(double lossValue, Params grads)
    {
        if (!double.IsFinite(lossValue)) return "loss";
        if (grads.Count == 0) return null;
        using var scope = torch.NewDisposeScope();
        using (var sums = torch.stack(grads.Values.Select(g => g.sum(ScalarType.Float64)).ToArray()))
        using (var total = sums.sum())
            if (double.IsFinite(total.item<double>())) return null;
        foreach (var (path, g) in grads)
        {
            using var finite = g.isfinite().all();
            if (!finite.item<bool>()) return $"gradient of '{path}'";
        }
        return null;
    }

    /// <summary>
    /// What Fit may donate to a step: any map of a state Fit made, never one of the state passed in (a skipped step
    /// hands that state's maps on unchanged).
    /// </summary>
    private static Func<Params, bool> Donatable(TrainState callers)
    {
        var kept = new HashSet<Params>(Maps(callers), ReferenceEqualityComparer.Instance);
        return p => !kept.Contains(p);
    }

    /// <summary>The tensor maps of a state: parameters, model state, and every optimizer slot.</summary>
    private static IEnumerable<Params> Maps(TrainState state)
    {
        yield return state.Params;
        yield return state.State;
        foreach (var slot in SlotMaps(state.OptState)) yield return slot;
    }

    private static IEnumerable<Params> SlotMaps(OptState state)
    {
        foreach (var slot in state.Slots.Values) yield return slot;
        foreach (var inner in state.Inner)
            foreach (var slot in SlotMaps(inner)) yield return slot;
    }

    /// <summary>
    /// Disposes the tensors of <paramref name="old"/> that neither <paramref name="next"/> nor <paramref name="keep"/> holds.
    /// Maps that <paramref name="next"/> holds as they are (a donated step keeps its parameter and slot maps) are
    /// skipped without looking at their tensors, so a step that changed nothing else costs no per-tensor work.
    /// </summary>
    private static void DisposeSuperseded(TrainState old, TrainState? next, HashSet<Tensor> keep)
    {
        var kept = next is null ? null : new HashSet<Params>(Maps(next), ReferenceEqualityComparer.Instance);
        HashSet<Tensor>? live = null, done = null;
        foreach (var map in Maps(old))
        {
            if (map.Count == 0 || (kept is not null && kept.Contains(map))) continue;
            live ??= new HashSet<Tensor>(next?.Tensors() ?? [], ReferenceEqualityComparer.Instance);
            done ??= new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
            foreach (var t in map.Values)
                if (!live.Contains(t) && !keep.Contains(t) && done.Add(t)) t.Dispose();
        }
    }

    private static void MoveOut(DisposeScope scope, IEnumerable<Tensor> tensors)
    {
        foreach (var t in tensors)
            if (scope.Contains(t)) scope.MoveToOuter(t);
    }
}
