/// The Transform and TransformWithState functions.
module MiniHaiku.Tests.FSharp.TransformTests

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

[<Property(MaxTest = 30)>]
let ``Transform.init is deterministic: same seed, same parameters`` (seed: int64) (width: byte) =
    let w = int64 (width % 5uy) + 1L
    let net = Hk.transform (fun (x: torch.Tensor) -> model { let! m = NotebookModules.MLP.Create [ w; 2L ] in return! m.Call x })
    let x = torch.ones (1L, 3L)
    Assert.True((net |> Transform.init seed x).BitwiseEquals(net |> Transform.init seed x))
    Assert.True((net |> Transform.init seed x).BitwiseEquals(net |> Transform.initWithKey (RngKey.FromSeed seed) x))
