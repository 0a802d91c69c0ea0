/// Modules written as F# classes (inheriting FsModule): the notebook's examples, and names identical to C#.
module MiniHaiku.Tests.FSharp.ModuleClassTests

open MiniHaiku
open MiniHaiku.FSharp
open MiniHaiku.Tests.FSharp.NotebookModules
open TorchSharp
open Xunit

let private linearNet width = Hk.transform (fun (x: torch.Tensor) -> model { let! l = Linear.Create width in return! l.Call x })

[<Fact>]
let ``Linear init creates W and b with the notebook's shapes`` () =
    let p = linearNet 4L |> Transform.init 42L (torch.ones (2L, 3L))
    Assert.Equal("{'~/Linear_0/__call__/W': (3, 4), '~/Linear_0/__call__/b': (4,)}", Params.format p)
    Assert.Equal<(string * int64 list) list>(
        [ "~/Linear_0/__call__/W", [ 3L; 4L ]; "~/Linear_0/__call__/b", [ 4L ] ],
        Params.shapes p)

[<Fact>]
let ``Linear apply is x W + b`` () =
    let net = linearNet 4L
    let x = torch.arange(6L, dtype = torch.float32).reshape(2L, 3L)
    let p = net |> Transform.init 7L x
    let expected = x.matmul(Params.find "~/Linear_0/__call__/W" p).add (Params.find "~/Linear_0/__call__/b" p)
    Assert.True((net |> Transform.apply p x).allclose expected)

[<Fact>]
let ``MLP has four parameters with the notebook's paths`` () =
    let net = Hk.transform (fun (x: torch.Tensor) -> model { let! m = MLP.Create [ 3L; 5L ] in return! m.Call x })
    let p = net |> Transform.init 0L (torch.ones (2L, 3L))
    Assert.Equal(
        "{'~/MLP_0/__call__/Linear_0/__call__/W': (3, 3), '~/MLP_0/__call__/Linear_0/__call__/b': (3,), "
        + "'~/MLP_0/__call__/Linear_1/__call__/W': (3, 5), '~/MLP_0/__call__/Linear_1/__call__/b': (5,)}",
        Params.format p)
    Assert.Equal<int64[]>([| 2L; 5L |], (net |> Transform.apply p (torch.ones (2L, 3L))).shape)

[<Fact>]
let ``a reused Linear holds exactly two parameters and is really called twice`` () =
    let net = Hk.transform (fun (x: torch.Tensor) -> model { let! m = ParameterReuseTest.Create() in return! m.Call x })
    let x = torch.ones (2L, 3L)
    let p = net |> Transform.init 1L x
    Assert.Equal<string list>(
        [ "~/ParameterReuseTest_0/__call__/Linear_0/__call__/W"; "~/ParameterReuseTest_0/__call__/Linear_0/__call__/b" ],
        Params.paths p)
    let w = Params.find "~/ParameterReuseTest_0/__call__/Linear_0/__call__/W" p
    let b = Params.find "~/ParameterReuseTest_0/__call__/Linear_0/__call__/b" p
    Assert.True((net |> Transform.apply p x).allclose (x.matmul(w).add(b).matmul(w).add b))

[<Fact>]
let ``calling an MLP twice reuses its parameters`` () =
    let net =
        Hk.transform (fun (x: torch.Tensor) ->
            model {
                let! m = MLP.Create [ 3L; 3L ]
                let! y = m.Call x
                return! m.Call y
            })
    let p = net |> Transform.init 3L (torch.ones (2L, 3L))
    Assert.Equal(4, Params.count p)
    Assert.All(Params.paths p, fun k -> Assert.StartsWith("~/MLP_0/__call__/Linear_", k))
    Assert.DoesNotContain(Params.paths p, fun k -> k.Contains "Linear_2")

[<Fact>]
let ``two MLP instances get distinct names, explicit names verbatim`` () =
    let net =
        Hk.transform (fun (x: torch.Tensor) ->
            model {
                let! a = MLP.Create [ 3L ]
                let! b = MLP.Create([ 3L ], name = "head")
                let! c = MLP.Create [ 3L ]
                let! y = a.Call x
                let! z = b.Call y
                return! c.Call z
            })
    let p = net |> Transform.init 3L (torch.ones (2L, 3L))
    let owners = Params.paths p |> List.map (fun k -> k.Substring(0, k.IndexOf "/__call__")) |> List.distinct |> List.sort
    Assert.Equal<string list>([ "~/MLP_0"; "~/MLP_1"; "~/head" ], owners)

[<Fact>]
let ``a method other than Call is scoped under its own name`` () =
    let net = Hk.transform (fun (x: torch.Tensor) -> model { let! e = Encoder.Create 2L in return! e.Call x })
    let p = net |> Transform.init 0L (torch.ones (1L, 3L))
    // As in C#: a method's scope is {module path}/{method}, wherever it is called from.
    Assert.Equal<string list>([ "~/Encoder_0/Encode/w" ], Params.paths p)

[<Fact>]
let ``the F# Linear and MLP get exactly the C# layers' paths and initial values`` () =
    let x = torch.randn (4L, 3L, generator = new torch.Generator(5UL))
    let fsharpNet = Hk.transform (fun (x: torch.Tensor) -> model { let! m = Haiku.MLP.Create [ 8L; 2L ] in return! m.Call x })
    let csharpNet =
        Hk.transform (fun (x: torch.Tensor) -> MiniHaiku.Layers.MLP.Create([| 8; 2 |]).SelectMany(fun m -> m.Call x))
    let pf = fsharpNet |> Transform.init 11L x
    let pc = csharpNet |> Transform.init 11L x
    Assert.Equal<string list>(Params.paths pc, Params.paths pf)
    Assert.True(pf.BitwiseEquals pc, "same paths, seed and initializers give bitwise equal parameters")
    Assert.True((fsharpNet |> Transform.apply pf x).allclose (csharpNet |> Transform.apply pc x))

[<Fact>]
let ``module classes interleave with the C# layers in one scope`` () =
    let net =
        Hk.transform (fun (x: torch.Tensor) ->
            model {
                let! a = Haiku.Linear.Create 3L
                let! b = MiniHaiku.Layers.Linear.Create 3
                let! y = a.Call x
                return! b.Call y
            })
    let p = net |> Transform.init 0L (torch.ones (1L, 2L))
    Assert.Equal<string list>(
        [ "~/Linear_0/__call__/b"; "~/Linear_0/__call__/w"; "~/Linear_1/__call__/b"; "~/Linear_1/__call__/w" ],
        Params.paths p)

[<Fact>]
let ``module equality is by class and name`` () =
    let name = ModuleName("Linear_0", "~/Linear_0")
    Assert.Equal<MiniHaiku.Module>(Linear(name, 3L), Linear(name, 3L))
    Assert.NotEqual<MiniHaiku.Module>(Linear(name, 3L), ParameterReuseTest(name))
