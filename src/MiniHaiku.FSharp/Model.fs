namespace MiniHaiku.FSharp

open System
open MiniHaiku
open MiniHaiku.FSharp.CoreTypes

/// Functions over <see cref="T:MiniHaiku.Model`1"/> (the core's <c>Select</c>, <c>SelectMany</c>).
[<RequireQualifiedAccess; CompilationRepresentation(CompilationRepresentationFlags.ModuleSuffix)>]
module Model =
    /// A model producing <c>value</c> and leaving the frame unchanged (<c>Hk.Pure</c>).
    let ret (value: 'T) : Model<'T> = CoreHk.Pure value

    /// Maps a model's value (<c>Select</c>).
    let map (mapping: 'T -> 'U) (model: Model<'T>) : Model<'U> = model.Select(Func<'T, 'U> mapping)

    /// Runs <c>model</c>, then the model <c>binder</c> makes from its value (<c>SelectMany</c>).
    let bind (binder: 'T -> Model<'U>) (model: Model<'T>) : Model<'U> = model.SelectMany(Func<'T, Model<'U>> binder)

    /// Runs both models, left first, and combines their values.
    let map2 (mapping: 'T -> 'U -> 'V) (first: Model<'T>) (second: Model<'U>) : Model<'V> =
        first.SelectMany(fun a -> second.Select(fun b -> mapping a b))

    /// Runs <c>model</c> and drops its value.
    let ignore (model: Model<'T>) : Model<unit> = model.Select(fun _ -> ())

    /// Runs <c>model</c> from <c>frame</c>: its value and the final frame (for the library's own tests).
    let internal run (frame: Frame) (model: Model<'T>) : 'T * Frame =
        let struct (value, final) = model.Run frame
        value, final
