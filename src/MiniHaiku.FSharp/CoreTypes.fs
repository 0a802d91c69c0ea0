namespace MiniHaiku.FSharp

/// Short internal names for the core's static classes, which the F# modules of the same names shadow.
module internal CoreTypes =
    type CoreHk = MiniHaiku.Hk
    type CoreGrad = MiniHaiku.Grad
    type CoreParams = MiniHaiku.Params
    type CoreCheckpoint = MiniHaiku.Checkpoints.Checkpoint
    type CoreTrainer = MiniHaiku.Training.Trainer
