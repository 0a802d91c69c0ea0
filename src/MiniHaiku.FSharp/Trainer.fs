namespace MiniHaiku.FSharp

open System
open MiniHaiku
open MiniHaiku.FSharp.CoreTypes
open MiniHaiku.Optim
open MiniHaiku.Training
open TorchSharp

/// Reports progress on the training thread, as it happens (System.Progress would post it elsewhere).
type internal SyncProgress(report: TrainProgress -> unit) =
    interface IProgress<TrainProgress> with
        member _.Report value = report value

/// <summary>
/// The Extensions' <c>Trainer</c> (flat native memory, one dispose scope per step) as functions:
/// <c>let trainer = Trainer.forModel net input loss (Optim.adam 1e-3)</c>,
/// <c>let s0 = trainer |> Trainer.init 0L p</c>, <c>let s1 = trainer |> Trainer.fit batches s0</c>.
/// </summary>
[<RequireQualifiedAccess; CompilationRepresentation(CompilationRepresentationFlags.ModuleSuffix)>]
module Trainer =
    /// A trainer minimising <c>loss params batch key</c>.
    let create (loss: Params -> 'Batch -> RngKey -> torch.Tensor) (optimizer: GradientTransformation) : Trainer<'Batch> =
        CoreTrainer.Create(Func<Params, 'Batch, RngKey, torch.Tensor>(fun p b k -> loss p b k), optimizer)

    /// A trainer for a transformed model: <c>input batch isTraining</c> makes the model's input,
    /// <c>loss output batch</c> the scalar to minimise; <c>batchSize</c> counts samples for progress.
    let forModel (model: Transformed<'In, 'Out>) (input: 'Batch -> bool -> 'In) (loss: 'Out -> 'Batch -> torch.Tensor)
                 (batchSize: 'Batch -> int64) (optimizer: GradientTransformation) : Trainer<'Batch> =
        CoreTrainer.ForModel(model, Func<'Batch, bool, 'In>(fun b t -> input b t), Func<'Out, 'Batch, torch.Tensor>(fun o b -> loss o b),
                             optimizer, Func<'Batch, int64> batchSize)

    /// Like <c>forModel</c>, for a model with state (e.g. batch norm).
    let forStatefulModel (model: TransformedWithState<'In, 'Out>) (input: 'Batch -> bool -> 'In) (loss: 'Out -> 'Batch -> torch.Tensor)
                         (batchSize: 'Batch -> int64) (optimizer: GradientTransformation) : Trainer<'Batch> =
        CoreTrainer.ForModel(model, Func<'Batch, bool, 'In>(fun b t -> input b t), Func<'Out, 'Batch, torch.Tensor>(fun o b -> loss o b),
                             optimizer, Func<'Batch, int64> batchSize)

    /// The first training state: parameters, the optimizer's initial state, a key from <c>seed</c>.
    let init (seed: int64) (parameters: Params) (trainer: Trainer<'Batch>) : TrainState = trainer.Init(parameters, seed)

    /// Like <c>init</c>, with model state.
    let initWithState (seed: int64) (parameters: Params) (state: Params) (trainer: Trainer<'Batch>) : TrainState =
        trainer.Init(parameters, seed, state)

    /// One step on <c>batch</c>: (next state, loss).
    let step (batch: 'Batch) (state: TrainState) (trainer: Trainer<'Batch>) : TrainState * float =
        let struct (next, loss) = trainer.Step(state, batch)
        next, loss

    /// One step per batch; superseded tensors are disposed as it goes (the given state is kept).
    let fit (batches: seq<'Batch>) (state: TrainState) (trainer: Trainer<'Batch>) : TrainState =
        trainer.Fit(state, batches)

    /// Like <c>fit</c>, calling <c>report</c> every <c>every</c> steps with the step, loss and speed.
    let fitWithProgress (every: int) (report: TrainProgress -> unit) (batches: seq<'Batch>) (state: TrainState) (trainer: Trainer<'Batch>) : TrainState =
        trainer.Fit(state, batches, SyncProgress report, every)
