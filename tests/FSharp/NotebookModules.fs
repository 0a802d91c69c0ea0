/// The original notebook's modules (and Haiku's Linear/MLP) written as F# classes, as a user would.
module MiniHaiku.Tests.FSharp.NotebookModules

open MiniHaiku
open MiniHaiku.FSharp
open TorchSharp

/// The notebook's Linear: W [in, width] and b [width], both standard normal.
type Linear(name, width: int64) =
    inherit Module(name)
    member _.Width = width
    static member Create(width, ?name) = Hk.createWith name (fun n -> Linear(n, width))
    member this.Call(x: torch.Tensor) =
        this.Method(model {
            let! w = Hk.getParam "W" [ x.shape[x.shape.Length - 1]; width ]
            let! b = Hk.getParam "b" [ width ]
            return x.matmul(w).add b
        })

/// The notebook's MLP: sigmoid between its Linear layers.
type MLP(name, widths: int64 list) =
    inherit Module(name)
    static member Create(widths, ?name) = Hk.createWith name (fun n -> MLP(n, widths))
    member this.Call(x: torch.Tensor) =
        let last = List.length widths - 1
        this.Method(
            widths
            |> List.indexed
            |> Hk.aggregate (fun h (i, width) ->
                model {
                    let! layer = Linear.Create width
                    let! y = layer.Call h
                    return if i < last then torch.sigmoid y else y
                }) x)

/// The notebook's reuse test: one Linear called twice.
type ParameterReuseTest(name) =
    inherit Module(name)
    static member Create() = Hk.create ParameterReuseTest
    member this.Call(x: torch.Tensor) =
        this.Method(model {
            let! f = Linear.Create(x.shape[x.shape.Length - 1])
            let! y = f.Call x
            return! f.Call y
        })

/// A module with a second method, to check method scopes other than __call__.
type Encoder(name, width: int64) =
    inherit Module(name)
    static member Create(width) = Hk.create (fun n -> Encoder(n, width))
    member this.Encode(x: torch.Tensor) =
        this.Method(model {
            let! w = Hk.getParam "w" [ x.shape[1]; width ]
            return x.matmul w
        })
    member this.Call(x: torch.Tensor) =
        this.Method(model {
            let! h = this.Encode x
            return torch.tanh h
        })

/// Haiku's Linear written in F#: the same names and initializers as MiniHaiku.Layers.Linear.
module Haiku =
    type Linear(name, outputSize: int64) =
        inherit Module(name)
        static member Create(outputSize) = Hk.create (fun n -> Linear(n, outputSize))
        member this.Call(x: torch.Tensor) =
            let inSize = x.shape[x.shape.Length - 1]
            this.Method(model {
                let! w = Hk.getParamWith (Initializers.TruncatedNormal(1.0 / sqrt (float inSize))) "w" [ inSize; outputSize ]
                let! b = Hk.getParamWith (Initializers.Zeros()) "b" [ outputSize ]
                return x.matmul(w).add b
            })

    /// Haiku's MLP (ReLU between layers) over the F# Linear.
    type MLP(name, outputSizes: int64 list) =
        inherit Module(name)
        static member Create(outputSizes) = Hk.create (fun n -> MLP(n, outputSizes))
        member this.Call(x: torch.Tensor) =
            let last = List.length outputSizes - 1
            this.Method(
                Hk.aggregate (fun h (i, size) ->
                    model {
                        let! layer = Linear.Create size
                        let! y = layer.Call h
                        return if i < last then torch.nn.functional.relu y else y
                    }) x (List.indexed outputSizes))
