namespace MiniHaiku.FSharp

open System.Collections.Generic
open MiniHaiku
open MiniHaiku.Checkpoints
open MiniHaiku.FSharp.CoreTypes
open MiniHaiku.Training

/// <summary>
/// Atomic safetensors checkpoints (the Extensions' <c>Checkpoint</c>) as functions:
/// <c>Checkpoint.save "model.safetensors" p</c>, <c>Checkpoint.loadParams "model.safetensors" p</c>.
/// </summary>
[<RequireQualifiedAccess; CompilationRepresentation(CompilationRepresentationFlags.ModuleSuffix)>]
module Checkpoint =
    /// Writes the parameters (atomically: a temporary file, then a rename).
    let save (path: string) (parameters: Params) : unit = CoreCheckpoint.Save(path, parameters)

    /// Writes parameters, model state and string metadata.
    let saveWith (path: string) (metadata: (string * string) list) (state: Params) (parameters: Params) : unit =
        let meta = Dictionary<string, string>()
        for k, v in metadata do meta[k] <- v
        CoreCheckpoint.Save(path, parameters, state, metadata = meta)

    /// Writes a whole training state (parameters, model state, optimizer state, step, key).
    let saveTrainState (path: string) (trainState: TrainState) : unit = CoreCheckpoint.Save(path, trainState)

    /// Reads a checkpoint as written, without checking it against a model.
    let load (path: string) : CheckpointContents = CoreCheckpoint.Load path

    /// Reads the parameters, checking paths, shapes and dtypes against <c>expected</c> (e.g. a fresh Init).
    let loadParams (path: string) (expected: Params) : Params = CoreCheckpoint.Load(path, expected).Params

    /// Reads a training state saved by <c>saveTrainState</c>, checked against <c>template</c>.
    let loadTrainState (path: string) (template: TrainState) : TrainState = CoreCheckpoint.LoadTrainState(path, template)
