// MiniHaiku from F#: README's "Quickstart (F#)", verbatim (tests/FSharp/ReadmeQuickstartTests.fs checks it).
//   dotnet fsi examples/quickstart.fsx      (needs the MiniHaiku.FSharp package on a NuGet feed)
#r "nuget: MiniHaiku.FSharp, 0.1.0"
#r "nuget: libtorch-cpu-linux-x64, 2.10.0"   // the native backend: libtorch for your OS, or TorchSharp-cpu
open MiniHaiku
open MiniHaiku.FSharp
open TorchSharp

/// Haiku's Linear as an F# class: parameters W [in, width] and b [width].
type Linear(name, width: int64) =
    inherit Module(name)
    static member Create(width) = Hk.create (fun name -> Linear(name, width))
    member this.Call(x: torch.Tensor) =
        this.Method(model {                     // parameters live under ~/Linear_0/__call__/
            let! w = Hk.getParam "W" [ Array.last x.shape; width ]
            let! b = Hk.getParam "b" [ width ]
            return x.matmul w + b
        })

/// The notebook's MLP: a Linear per width, sigmoid between them.
type MLP(name, widths: int64 list) =
    inherit Module(name)
    static member Create(widths) = Hk.create (fun name -> MLP(name, widths))
    member this.Call(x: torch.Tensor) =
        let layer h (i, width) =
            model {
                let! linear = Linear.Create width           // Linear_0, Linear_1, …
                let! y = linear.Call h
                return if i < widths.Length - 1 then torch.sigmoid y else y
            }
        this.Method(Hk.aggregate layer x (List.indexed widths))

let net =
    Hk.transform (fun (x: torch.Tensor) ->
        model {
            let! mlp = MLP.Create [ 3L; 5L ]
            return! mlp.Call x
        })

let x = torch.ones (2L, 3L)
let p = net |> Transform.init 42L x
printfn "%A" (Params.shapes p)   // [("~/MLP_0/__call__/Linear_0/__call__/W", [3L; 3L]); …]

// Pure gradients and an Optax-style optimizer, as plain functions.
let target = torch.zeros (2L, 5L)
let loss (p: Params) =
    let y = net |> Transform.apply p x
    (y - target).square().mean()
let value, grads = Grad.valueAndGrad loss p
let adam = Optim.adam 0.01
let updates, _ = Optim.update adam grads (Optim.init adam p) p
let p2 = Optim.applyUpdates updates p
printfn "loss %.4f -> %.4f" (value.item<float32> ()) ((loss p2).item<float32> ())
