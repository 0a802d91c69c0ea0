/// The curried Hk functions (parameters, state, randomness, modules, control flow) and the Model helpers.
module MiniHaiku.Tests.FSharp.HkTests

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
let ``the C# Hk methods stay reachable next to the F# functions`` () =
    let both =
        model {
            let! a = Hk.GetParam("a", [| 2L |])
            and! b = Hk.getParam "b" [ 2L ]
            return a.shape = b.shape
        }
    let v, f = runInit both
    Assert.True v
    Assert.Equal(2, f.Params.Count)

[<Fact>]
let ``getParams, getCurrentState, getInitialState and maybeGetRngSequenceState read the run`` () =
    let m =
        model {
            let! _ = Hk.getParam "w" [ 2L ]
            let! _ = Hk.getStateWith (Initializers.Zeros()) "n" []
            let! ps = Hk.getParams
            let! s = Hk.getCurrentState
            let! s0 = Hk.getInitialState
            let! key = Hk.maybeGetRngSequenceState
            return List.ofSeq ps.Keys, List.ofSeq s.Keys, s0.Count, key.IsSome
        }
    let (ps, s, initialCount, hasKey), _ = runInit m
    Assert.Equal<string list>([ "~/w" ], ps)
    Assert.Equal<string list>([ "~/n" ], s)
    Assert.Equal(1, initialCount)
    Assert.True hasKey // Init always has a key sequence

[<Fact>]
let ``getParamOf makes the requested dtype and getExistingParam reads it back`` () =
    let m =
        model {
            let! w = Hk.getParamOf torch.ScalarType.Float64 (Initializers.Ones()) "w" [ 2L; 2L ]
            let! again = Hk.getExistingParam "w"
            return w.dtype, Object.ReferenceEquals(w, again)
        }
    let (dtype, same), _ = runInit m
    Assert.Equal(torch.ScalarType.Float64, dtype)
    Assert.True same

[<Fact>]
let ``getParam without a shape for a new parameter names the path`` () =
    let e = Assert.Throws<MissingShapeException>(fun () -> runInit (Hk.getExistingParam "nope") |> ignore)
    Assert.Equal("~/nope", e.Path)

[<Fact>]
let ``getStateWith initialises and setState updates under transformWithState`` () =
    let counter =
        Hk.transformWithState (fun (n: int) ->
            model {
                let! c = Hk.getStateWith (Initializers.Constant 10.0) "count" []
                let next = c + torch.tensor (float32 n)
                do! Hk.setState "count" next
                return next
            })
    let p, s0 = counter |> TransformWithState.init 0L 0
    Assert.Equal(10.0, scalar (Params.find "~/count" s0))
    let y, s1 = counter |> TransformWithState.apply p s0 5
    Assert.Equal(15.0, scalar y)
    Assert.Equal(15.0, scalar (Params.find "~/count" s1))
    let _, s2 = counter |> TransformWithState.applyWithSeed 3L p s1 1
    Assert.Equal(16.0, scalar (Params.find "~/count" s2))

[<Fact>]
let ``maybeNextRngKey is None without a key and Some with one`` () =
    let net = Hk.transform (fun () -> Hk.maybeNextRngKey)
    let p = net |> Transform.init 0L ()
    Assert.True((net |> Transform.apply p ()).IsNone)
    Assert.True((net |> Transform.applyWithSeed 1L p ()).IsSome)
    Assert.Equal(net |> Transform.applyWithSeed 1L p (), net |> Transform.applyWithKey (RngKey.FromSeed 1L) p ())

[<Fact>]
let ``nextRngKey without a key during Apply is a MissingRngException`` () =
    let net = Hk.transform (fun () -> Hk.nextRngKey)
    let p = net |> Transform.init 0L ()
    Assert.Throws<MissingRngException>(fun () -> net |> Transform.apply p () |> ignore) |> ignore

[<Fact>]
let ``dropout needs a key and dropoutWhen false is the identity`` () =
    let x = torch.ones 100L
    let net = Hk.transform (fun (training: bool) -> Hk.dropoutWhen training 0.5 x)
    let p = net |> Transform.init 0L false
    Assert.Same(x, net |> Transform.apply p false)
    let y = net |> Transform.applyWithSeed 4L p true
    // Inverted dropout: each element is dropped (0) or scaled by 1 / (1 - rate) = 2, the same for the same seed.
    Assert.True(y.eq(torch.tensor 0.0f).logical_or(y.eq(torch.tensor 2.0f)).all().item<bool> ())
    Assert.True(y.eq(torch.tensor 0.0f).any().item<bool> () && y.eq(torch.tensor 2.0f).any().item<bool> ())
    Assert.True(y.allclose (net |> Transform.applyWithSeed 4L p true))
    let always = Hk.transform (fun () -> Hk.dropout 0.5 x)
    Assert.Throws<MissingRngException>(fun () -> always |> Transform.apply Params.empty () |> ignore) |> ignore

[<Fact>]
let ``cond and switch initialise every branch and run the chosen one`` () =
    let branch name = Hk.getParamWith (Initializers.Constant 1.0) name [ 1L ] |> Model.map (fun _ -> name)
    let net =
        Hk.transform (fun (i: int) ->
            model {
                let! a = Hk.cond (i = 0) (branch "t") (branch "f")
                and! b = Hk.switch i [ branch "s0"; branch "s1" ]
                return a, b
            })
    let p = net |> Transform.init 0L 0
    Assert.Equal(4, Params.count p)
    Assert.Equal(("f", "s1"), net |> Transform.apply p 1)
    let t = Hk.transform (fun (flag: bool) -> Hk.condOn (torch.tensor flag) (Model.ret 1) (Model.ret 2))
    Assert.Equal(2, t |> Transform.apply (t |> Transform.init 0L true) false)

[<Fact>]
let ``fold shares one body's parameters, aggregate makes a stack`` () =
    let step (h: torch.Tensor) (_: int) = model { let! l = NotebookModules.Linear.Create 2L in return! l.Call h }
    let shared = Hk.transform (fun (x: torch.Tensor) -> Hk.fold step x [ 1; 2; 3 ])
    let stacked = Hk.transform (fun (x: torch.Tensor) -> Hk.aggregate step x [ 1; 2; 3 ])
    let x = torch.ones (1L, 2L)
    Assert.Equal(2, shared |> Transform.init 0L x |> Params.count)
    Assert.Equal(6, stacked |> Transform.init 0L x |> Params.count)
    let repeated = Hk.transform (fun (x: torch.Tensor) -> Hk.repeat 3 (fun _ h -> step h 0) x)
    let p = repeated |> Transform.init 0L x
    Assert.Equal<string list>(Params.paths (shared |> Transform.init 0L x), Params.paths p)

[<Fact>]
let ``scan threads the carry and collects outputs as a list`` () =
    let m = Hk.scan (fun (c: int) (x: int) -> Model.ret (c + x, c * x)) 1 [ 2; 3; 4 ]
    let (carry, outputs), _ = runInit m
    Assert.Equal(10, carry)
    Assert.Equal<int list>([ 2; 9; 24 ], outputs)

[<Fact>]
let ``sequence runs models in order into a list`` () =
    let (values: string list), f = runInit (Hk.sequence [ Hk.getParam "a" [ 1L ] |> Model.map (fun _ -> "a"); Hk.currentScope ])
    Assert.Equal<string list>([ "a"; "~" ], values)
    Assert.Equal(1, f.Params.Count)

[<Fact>]
let ``lift nests another transformed model's parameters under a name`` () =
    let inner = Hk.transform (fun (x: torch.Tensor) -> model { let! w = Hk.getParam "w" [ 2L ] in return x * w })
    let outer = Hk.transform (fun (x: torch.Tensor) -> Hk.lift "inner" inner x)
    let p = outer |> Transform.init 0L (torch.ones 2L)
    Assert.Equal<string list>([ "~/inner/w" ], Params.paths p)

[<Fact>]
let ``liftWithState nests a stateful model's parameters and state under a name`` () =
    let inner =
        Hk.transformWithState (fun (x: torch.Tensor) ->
            model {
                let! w = Hk.getParam "w" [ 2L ]
                do! Hk.setState "last" x
                return x * w
            })
    let outer = Hk.transformWithState (fun (x: torch.Tensor) -> Hk.liftWithState "inner" inner x)
    let p, s = outer |> TransformWithState.init 0L (torch.ones 2L)
    Assert.Equal<string list>([ "~/inner/w" ], Params.paths p)
    Assert.Equal<string list>([ "~/inner/last" ], Params.paths s)

[<Fact>]
let ``toModule makes a module from a function, counted under its type name`` () =
    let dense width = Hk.toModule "Dense" (fun (x: torch.Tensor) -> model { let! w = Hk.getParam "w" [ x.shape[1]; width ] in return x.matmul w })
    let net = Hk.transform (fun (x: torch.Tensor) -> model { let! d = dense 2L in let! y = d.Call x in return! d.Call y })
    Assert.Equal<string list>([ "~/Dense_0/__call__/w" ], net |> Transform.init 1L (torch.ones (1L, 2L)) |> Params.paths)

[<Fact>]
let ``createNamed uses the name verbatim and rejects a duplicate`` () =
    let two = model { let! a = Hk.createNamed "enc" NotebookModules.ParameterReuseTest in let! b = Hk.createNamed "enc" NotebookModules.ParameterReuseTest in return a, b }
    let e = Assert.Throws<ModuleNameException>(fun () -> runInit two |> ignore)
    Assert.Contains("enc", e.Message)

[<Fact>]
let ``Model helpers map, bind, map2 and ignore compose models`` () =
    let m =
        Hk.getParamWith (Initializers.Constant 2.0) "w" [ 1L ]
        |> Model.map (fun t -> scalar t)
        |> Model.bind (fun v -> Model.map2 (fun a (b: string) -> v + a, b) (Model.ret 1.0) Hk.currentScope)
    let (v, scope), f = runInit m
    Assert.Equal(3.0, v)
    Assert.Equal("~", scope)
    let u, _ = runInit (Model.ignore m)
    Assert.Equal((), u)
    Assert.Equal(1, f.Params.Count)

[<Fact>]
let ``TorchSharp comparisons with a number, as docs/fsharp.md shows them`` () =
    let x = torch.tensor [| 0.2; 0.7 |]
    Assert.Equal<bool[]>([| false; true |], x.gt(torch.tensor 0.5).data<bool>().ToArray())
    Assert.Equal<bool[]>([| false; true |], x.gt((0.5).ToScalar()).data<bool>().ToArray())
