/// The curried F# functions over the core: Hk, Model, Transform, Params, Grad, Optim, Checkpoint.
module MiniHaiku.Tests.FSharp.FunctionTests

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

[<Property(MaxTest = 30)>]
let ``Transform.init is deterministic: same seed, same parameters`` (seed: int64) (width: byte) =
    let w = int64 (width % 5uy) + 1L
    let net = Hk.transform (fun (x: torch.Tensor) -> model { let! m = NotebookModules.MLP.Create [ w; 2L ] in return! m.Call x })
    let x = torch.ones (1L, 3L)
    Assert.True((net |> Transform.init seed x).BitwiseEquals(net |> Transform.init seed x))
    Assert.True((net |> Transform.init seed x).BitwiseEquals(net |> Transform.initWithKey (RngKey.FromSeed seed) x))

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
