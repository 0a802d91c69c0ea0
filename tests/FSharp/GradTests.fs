/// Grad.valueAndGrad, grad and valueAndGradWithAux as plain functions.
module MiniHaiku.Tests.FSharp.GradTests

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
let ``Grad.valueAndGrad of sum(w * w) is (sum(w * w), 2 w)`` (values: NormalFloat list) =
    let xs = values |> List.truncate 8 |> List.map (fun v -> float v.Get % 100.0)
    let xs = if List.isEmpty xs then [ 0.5 ] else xs
    let p = Params.ofList [ "~/w", torch.tensor (Array.ofList xs, dtype = torch.float64) ]
    let loss (q: Params) = let w = Params.find "~/w" q in (w * w).sum ()
    let value, grads = Grad.valueAndGrad loss p
    Assert.Equal(List.sumBy (fun x -> x * x) xs, scalar value, 6)
    Assert.True((Params.find "~/w" grads).allclose (Params.find "~/w" p * 2.0))
    Assert.True((Grad.grad loss p |> Params.find "~/w").allclose (Params.find "~/w" grads))
    let v2, aux, g2 = Grad.valueAndGradWithAux (fun q -> loss q, "aux") p
    Assert.Equal("aux", aux)
    Assert.Equal(scalar value, scalar v2)
    Assert.True((Params.find "~/w" g2).allclose (Params.find "~/w" grads))
