/// The Params functions: F# lists, maps and options, and printing.
module MiniHaiku.Tests.FSharp.ParamsTests

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
let ``Params functions use F# lists, maps and options`` () =
    let a = torch.zeros 2L
    let b = torch.ones (2L, 3L)
    let p = Params.ofList [ "~/b", b; "~/a", a ]
    Assert.Equal<string list>([ "~/a"; "~/b" ], Params.paths p)
    Assert.Equal<(string * torch.Tensor) list>([ "~/a", a; "~/b", b ], Params.toList p)
    Assert.Same(b, (Params.toMap p)["~/b"])
    Assert.True((Params.tryFind "~/c" p).IsNone)
    Assert.Same(a, (Params.tryFind "~/a" p).Value)
    Assert.Equal(8L, Params.elementCount p)
    Assert.Equal(1, p |> Params.remove "~/a" |> Params.count)
    Assert.Equal(3, p |> Params.add "~/c" a |> Params.count)
    Assert.Equal<string list>([ "~/b" ], p |> Params.filter (fun k -> k.EndsWith "b") |> Params.paths)
    Assert.Equal(6.0, p |> Params.map (fun t -> t + 1.0) |> Params.find "~/a" |> fun t -> scalar (t.sum ()) + 4.0)
    Assert.Equal(2.0, p |> Params.mapi (fun k t -> if k = "~/a" then t + 1.0 else t) |> Params.find "~/a" |> fun t -> scalar (t.sum ()))
    Assert.Equal(12.0, Params.map2 (fun x y -> x + y) p p |> Params.find "~/b" |> fun t -> scalar (t.sum ()))
    Assert.Equal(2, Params.merge p (Params.ofList [ "~/a", b ]) |> Params.count)
    let missing = Assert.Throws<MissingParameterException>(fun () -> Params.find "~/x" p |> ignore)
    Assert.Equal("~/x", missing.Path)

[<Fact>]
let ``Params.shapes prints in full with %A, Params.format as Haiku does`` () =
    let p = Params.ofList [ for i in 0..11 -> $"~/layer_{i:D2}/w", torch.zeros (2L, int64 i + 1L) ]
    let printed = sprintf "%A" (Params.shapes p)
    Assert.Contains("(\"~/layer_00/w\", [2L; 1L])", printed)
    Assert.Contains("\"~/layer_11/w\", [2L; 12L]", printed)
    Assert.DoesNotContain("...", printed)
    Assert.DoesNotContain("System.Int64[]", printed)
    Assert.StartsWith("{'~/layer_00/w': (2, 1), '~/layer_01/w': (2, 2),", Params.format p)

[<Property(MaxTest = 50)>]
let ``Params.ofList and toList round-trip in path order`` (keys: Set<byte>) =
    let entries = [ for k in keys -> $"~/p{k:D3}", torch.tensor [| float k |] ]
    let back = Params.ofList (List.rev entries) |> Params.toList
    Assert.Equal<string list>(List.map fst entries, List.map fst back)
    Assert.True(List.forall2 (fun (_, a) (_, b) -> Object.ReferenceEquals(a, b)) entries back)
