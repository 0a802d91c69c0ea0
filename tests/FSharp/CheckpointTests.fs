/// The Checkpoint functions.
module MiniHaiku.Tests.FSharp.CheckpointTests

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

[<Fact>]
let ``Checkpoint.save then loadParams gives the same parameters; a shape mismatch names the path`` () =
    let net = Hk.transform (fun (x: torch.Tensor) -> model { let! m = NotebookModules.MLP.Create [ 4L; 2L ] in return! m.Call x })
    let p = net |> Transform.init 9L (torch.ones (1L, 3L))
    let dir = Directory.CreateTempSubdirectory "minihaiku-fsharp"
    try
        let path = Path.Combine(dir.FullName, "mlp.safetensors")
        Checkpoint.save path p
        Assert.True((Checkpoint.loadParams path p).BitwiseEquals p)
        Checkpoint.saveWith path [ "epoch", "3" ] Params.empty p
        Assert.Equal("3", (Checkpoint.load path).Metadata["epoch"])
        let other = net |> Transform.init 9L (torch.ones (1L, 5L))
        let e = Assert.ThrowsAny<MiniHaikuException>(fun () -> Checkpoint.loadParams path other |> ignore)
        Assert.Contains("~/MLP_0/__call__/Linear_0/__call__/W", e.Message)
    finally
        dir.Delete true
