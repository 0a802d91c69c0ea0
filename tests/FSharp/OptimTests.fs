/// The Optim functions: optimizers, init, update, applyUpdates.
module MiniHaiku.Tests.FSharp.OptimTests

open System
open System.IO
open Xunit
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open MiniHaiku
open MiniHaiku.FSharp
open TorchSharp

let private runInit (m: Model<'T>) = m |> Model.run (Frame.ForInit(0L, withState = true))
let private scalar (t: torch.Tensor) = t.to_type(torch.float64).item<float> ()

[<Property(MaxTest = 40)>]
let ``Optim.sgd's update is minus the learning rate times the gradient`` (lr: NormalFloat) (g: NormalFloat) =
    let rate = abs (float lr.Get % 10.0)
    let grad = float g.Get % 1000.0
    let p = Params.ofList [ "~/w", torch.tensor ([| 1.0 |], dtype = torch.float64) ]
    let grads = Params.ofList [ "~/w", torch.tensor ([| grad |], dtype = torch.float64) ]
    let opt = Optim.sgd rate
    let updates, _ = Optim.update opt grads (Optim.init opt p) p
    Assert.Equal(-rate * grad, scalar (Params.find "~/w" updates), 9)
    Assert.Equal(1.0 - rate * grad, scalar (Optim.applyUpdates updates p |> Params.find "~/w"), 9)

[<Fact>]
let ``Optim constructors build working optimizers`` () =
    let p = Params.ofList [ "~/w", torch.tensor ([| 1.0; -2.0 |], dtype = torch.float64) ]
    let grads = Params.ofList [ "~/w", torch.tensor ([| 0.5; 0.5 |], dtype = torch.float64) ]
    for opt in [ Optim.adam 0.1; Optim.adamW 0.1 0.01; Optim.rmsProp 0.1; Optim.adagrad 0.1; Optim.sgdWithMomentum 0.1 0.9
                 Optim.chain [ Optim.clipByGlobalNorm 1.0; Optim.sgd 0.1 ]; Optim.masked (fun _ -> true) (Optim.sgd 0.1) ] do
        let updates, _ = Optim.update opt grads (Optim.init opt p) p
        // Every one of these moves both weights against the (positive) gradient.
        Assert.True((Params.find "~/w" updates).lt(torch.tensor 0.0).all().item<bool> ())
