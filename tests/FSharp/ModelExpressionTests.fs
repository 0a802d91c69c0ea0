/// Every construct of the model { } computation expression.
module MiniHaiku.Tests.FSharp.ModelExpressionTests

open System
open MiniHaiku
open MiniHaiku.FSharp
open TorchSharp
open Xunit

let private scalar (t: torch.Tensor) = t.item<float32> ()

let private runInit (m: Model<'T>) = m |> Model.run (Frame.ForInit(0L, withState = true))

[<Fact>]
let ``let! and return create parameters under the current scope`` () =
    let net =
        Hk.transform (fun (x: torch.Tensor) ->
            model {
                let! s = Hk.getParamWith (Initializers.Constant 3.0) "scale" [ 1L ]
                return x * s
            })
    let p = net |> Transform.init 0L (torch.ones 2L)
    Assert.Equal<string list>([ "~/scale" ], Params.paths p)
    Assert.Equal(6.0f, net |> Transform.apply p (torch.ones 2L) |> fun y -> scalar (y.sum ()))

[<Fact>]
let ``do! runs a unit model and keeps its effect`` () =
    let net =
        Hk.transformWithState (fun (v: float32) ->
            model {
                do! Hk.setState "last" (torch.tensor v)
                let! s = Hk.getState "last" []
                return scalar s
            })
    let p, s = net |> TransformWithState.init 0L 1.5f
    let y, s2 = net |> TransformWithState.apply p s 4.0f
    Assert.Equal(4.0f, y)
    Assert.Equal(4.0f, scalar (Params.find "~/last" s2))

[<Fact>]
let ``return! hands over another model's value and frame`` () =
    let inner = Hk.getParamWith (Initializers.Ones()) "w" [ 2L ]
    let value, frame = runInit (model { return! inner })
    Assert.Equal(2.0f, scalar (value.sum ()))
    Assert.Equal<string list>([ "~/w" ], Params.paths frame.Params)

[<Fact>]
let ``and! runs both sides, left first, and pairs their values`` () =
    let order = Collections.Generic.List<string>()
    let step name v = ModelOps.Lift<int>(fun f -> order.Add name; struct (v, f))
    let both =
        model {
            let! a = step "left" 1
            and! b = step "right" 2
            and! c = Hk.currentScope
            return a, b, c
        }
    let (a, b, c), _ = runInit both
    Assert.Equal((1, 2, "~"), (a, b, c))
    Assert.Equal<string list>([ "left"; "right" ], List.ofSeq order)

[<Fact>]
let ``and! creates parameters from both sides`` () =
    let m =
        model {
            let! w = Hk.getParam "w" [ 2L ]
            and! b = Hk.getParam "b" [ 3L ]
            return w.shape[0] + b.shape[0]
        }
    let v, f = runInit m
    Assert.Equal(5L, v)
    Assert.Equal<string list>([ "~/b"; "~/w" ], Params.paths f.Params)

[<Fact>]
let ``let! binds the core's nullable and null values as C# casts do`` () =
    let m =
        model {
            let! key = Hk.MaybeNextRngKey()          // a C# Nullable<RngKey>, null without a key
            let! none = Hk.maybeNextRngKey           // the F# option, None
            let! nothing = Model.ret (null: string)
            return key.HasValue, none.IsNone, isNull nothing
        }
    let v, _ = m |> Model.run (Frame.ForApply(Params.empty))
    Assert.Equal((false, true, true), v)

[<Fact>]
let ``if without else runs its body only when the condition holds`` () =
    let m (flag: bool) =
        model {
            if flag then
                do! Hk.setState "seen" (torch.ones 1L)
            return flag
        }
    let _, yes = runInit (m true)
    let _, no = runInit (m false)
    Assert.Equal<string list>([ "~/seen" ], Params.paths yes.State)
    Assert.Empty(no.State)

[<Fact>]
let ``for creates distinct modules per iteration and keeps the loop's effects`` () =
    let m =
        model {
            let total = ref 0L
            for width in [ 2L; 3L; 4L ] do
                let! w = Hk.getParam ($"w{width}") [ width ]
                total.Value <- total.Value + w.shape[0]
            let! n = Hk.currentScope
            return total.Value, n
        }
    let (total, scope), f = runInit m
    Assert.Equal(9L, total)
    Assert.Equal("~", scope)
    Assert.Equal<string list>([ "~/w2"; "~/w3"; "~/w4" ], Params.paths f.Params)

[<Fact>]
let ``for over modules names them Linear_0, Linear_1 like Hk.Aggregate`` () =
    let net =
        Hk.transform (fun (x: torch.Tensor) ->
            model {
                let h = ref x
                for width in [ 3L; 5L ] do
                    let! layer = NotebookModules.Linear.Create width
                    let! y = layer.Call h.Value
                    h.Value <- y
                return h.Value
            })
    let p = net |> Transform.init 0L (torch.ones (2L, 3L))
    Assert.Equal<string list>(
        [ "~/Linear_0/__call__/W"; "~/Linear_0/__call__/b"; "~/Linear_1/__call__/W"; "~/Linear_1/__call__/b" ],
        Params.paths p)

[<Fact>]
let ``while runs 100000 iterations in constant stack`` () =
    let m (n: int) =
        model {
            let i = ref 0
            while i.Value < n do
                let! k = Hk.runningInit
                if k then i.Value <- i.Value + 1
            return i.Value
        }
    let v, _ = runInit (m 100000)
    Assert.Equal(100000, v)

[<Fact>]
let ``for runs 100000 iterations with a bind each in constant stack`` () =
    let m =
        model {
            let sum = ref 0L
            for i in 1L .. 100000L do
                let! s = Model.ret i
                sum.Value <- sum.Value + s
            return sum.Value
        }
    let v, _ = runInit m
    Assert.Equal(5000050000L, v)

[<Fact>]
let ``100000 iterations each with try, use and a let! run in constant stack`` () =
    let disposed = ref 0
    let m =
        model {
            let count = ref 0
            for _ in 1..100000 do
                try
                    use _ = { new IDisposable with member _.Dispose() = disposed.Value <- disposed.Value + 1 }
                    let! init = Hk.runningInit
                    if init then count.Value <- count.Value + 1
                with _ ->
                    return ()
            return count.Value
        }
    let v, _ = runInit m
    Assert.Equal(100000, v)
    Assert.Equal(100000, disposed.Value)

[<Fact>]
let ``a chain of 100000 let! binds runs in constant stack`` () =
    let rec chain n (acc: Model<int>) = if n = 0 then acc else chain (n - 1) (model { let! v = acc in return! Model.ret (v + 1) })
    let v, _ = runInit (chain 100000 (Model.ret 0))
    Assert.Equal(100000, v)

[<Fact>]
let ``try with catches a MiniHaikuException and continues from the frame the try started with`` () =
    let m =
        model {
            let! a = Hk.getParam "a" [ 1L ]
            let! recovered =
                model {
                    try
                        let! _ = Hk.getParam "lost" [ 2L ]
                        let! _ = Hk.getParam "a" [ 5L ] // same path, other shape: ShapeMismatchException
                        return "body"
                    with :? ShapeMismatchException as e ->
                        return e.Path
                }
            return recovered, a.shape[0]
        }
    let (recovered, size), f = runInit m
    Assert.Equal("~/a", recovered)
    Assert.Equal(1L, size)
    Assert.Equal<string list>([ "~/a" ], Params.paths f.Params)

[<Fact>]
let ``try with lets unmatched exceptions through`` () =
    let m =
        model {
            try
                return failwith "boom"
            with :? ArgumentException ->
                return "argument"
        }
    let e = Assert.Throws<Exception>(fun () -> runInit m |> ignore)
    Assert.Equal("boom", e.Message)

[<Fact>]
let ``try finally runs the compensation once, on success and on failure`` () =
    let runs = ref 0
    let body (fail: bool) =
        model {
            try
                let! w = Hk.getParam "w" [ 1L ]
                if fail then failwith "boom"
                return w.shape[0]
            finally
                runs.Value <- runs.Value + 1
        }
    let v, _ = runInit (body false)
    Assert.Equal(1L, v)
    Assert.Equal(1, runs.Value)
    Assert.Throws<Exception>(fun () -> runInit (body true) |> ignore) |> ignore
    Assert.Equal(2, runs.Value)

type private Resource(log: Collections.Generic.List<string>, name: string) =
    member _.Name = name
    interface IDisposable with
        member _.Dispose() = log.Add("dispose " + name)

[<Fact>]
let ``use disposes after the rest of the expression, also when it throws`` () =
    let log = Collections.Generic.List<string>()
    let m (fail: bool) =
        model {
            use r = new Resource(log, "r")
            log.Add("using " + r.Name)
            let! scope = Hk.currentScope
            if fail then invalidOp "boom"
            return scope
        }
    let v, _ = runInit (m false)
    Assert.Equal("~", v)
    Assert.Equal<string list>([ "using r"; "dispose r" ], List.ofSeq log)
    log.Clear()
    Assert.Throws<InvalidOperationException>(fun () -> runInit (m true) |> ignore) |> ignore
    Assert.Equal<string list>([ "using r"; "dispose r" ], List.ofSeq log)

[<Fact>]
let ``use! binds a disposable made by a model and disposes it`` () =
    let log = Collections.Generic.List<string>()
    let acquire = Hk.currentScope |> Model.map (fun s -> new Resource(log, s))
    let m =
        model {
            use! r = acquire
            log.Add("body " + r.Name)
            return r.Name
        }
    let v, _ = runInit m
    Assert.Equal("~", v)
    Assert.Equal<string list>([ "body ~"; "dispose ~" ], List.ofSeq log)

[<Fact>]
let ``use of a torch dispose scope frees the step's temporaries`` () =
    let m =
        model {
            let! w = Hk.getParamWith (Initializers.Ones()) "w" [ 3L ]
            use _ = torch.NewDisposeScope()
            let! v = Hk.getExistingParam "w"
            let tmp = w * v
            return tmp
        }
    let tmp, f = runInit m
    Assert.True(tmp.IsInvalid, "a temporary made inside the scope is disposed with it")
    Assert.False((Params.find "~/w" f.Params).IsInvalid, "a parameter outlives the scope")

[<Fact>]
let ``the body is rebuilt on every run, so Init and Apply see their own values`` () =
    let built = ref 0
    let net =
        Hk.transform (fun (x: torch.Tensor) ->
            model {
                built.Value <- built.Value + 1
                let! w = Hk.getParam "w" [ 2L ]
                return x * w
            })
    Assert.Equal(0, built.Value)
    let p = net |> Transform.init 0L (torch.ones 2L)
    net |> Transform.apply p (torch.ones 2L) |> ignore
    Assert.Equal(2, built.Value)

[<Fact>]
let ``errors surface as MiniHaikuException subtypes F# can match on`` () =
    let net = Hk.transform (fun (x: torch.Tensor) -> model { let! s = Hk.getParam "scale" [ 1L ] in return x * s })
    let e = Assert.Throws<MissingParameterException>(fun () -> net |> Transform.apply Params.empty (torch.ones 2L) |> ignore)
    Assert.Equal("~/scale", e.Path)
