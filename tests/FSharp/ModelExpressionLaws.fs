/// The laws of the model { } builder as FsCheck properties, checked on everything a run leaves behind
/// (value, parameters, state, key, scope, parameters read) during Init and Apply.
namespace MiniHaiku.Tests.FSharp

open System
open Xunit
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open MiniHaiku
open MiniHaiku.FSharp
open MiniHaiku.Tests.FSharp.Programs
open TorchSharp

[<Properties(Arbitrary = [| typeof<Arbitraries> |], MaxTest = 60)>]
module ModelExpressionLaws =
    let private start (pre: Prog) = pre.Build 0.0

    [<Property>]
    let ``left identity: let! x = return a in f x is f a`` (pre: Prog) (f: Prog) (a: int) (seed: int64) =
        let left = model { let! _ = start pre in let! x = model { return float a } in return! f.Build x }
        let right = model { let! _ = start pre in return! f.Build(float a) }
        assertSameRun left right seed

    [<Property>]
    let ``right identity: let! x = m in return x is m`` (m: Prog) (n: Prog) (seed: int64) =
        let body = model { let! a = m.Build 0.0 in return! n.Build a }
        let left = model { let! x = body in return x }
        assertSameRun left body seed

    [<Property>]
    let ``associativity: nesting of let! does not matter`` (m: Prog) (f: Prog) (g: Prog) (seed: int64) =
        let left = model { let! y = model { let! x = m.Build 1.0 in return! f.Build x } in return! g.Build y }
        let right = model { let! x = m.Build 1.0 in let! y = f.Build x in return! g.Build y }
        assertSameRun left right seed

    [<Property>]
    let ``and! is let! then let! (the applicative agrees with the monad)`` (m: Prog) (n: Prog) (seed: int64) =
        let left =
            model {
                let! a = m.Build 1.0
                and! b = n.Build 2.0
                return a + 10.0 * b
            }
        let right = model { let! a = m.Build 1.0 in let! b = n.Build 2.0 in return a + 10.0 * b }
        assertSameRun left right seed

    [<Property>]
    let ``functor composition: mapping twice is mapping the composition`` (m: Prog) (k: int) (seed: int64) =
        let f x = x * 2.0 + float k
        let g x = x - 1.0
        let left = m.Build 0.5 |> Model.map f |> Model.map g
        let right = m.Build 0.5 |> Model.map (f >> g)
        assertSameRun left right seed

    [<Property>]
    let ``for over a list is the chain of its bodies`` (body: Prog) (values: int list) (seed: int64) =
        let items = List.truncate 6 values
        let left =
            model {
                for v in items do
                    do! Model.ignore (body.Build(float v))
            }
        let right =
            List.foldBack
                (fun v rest ->
                    model {
                        do! Model.ignore (body.Build(float v))
                        return! rest
                    })
                items
                (model { return () })
        assertSameRun left right seed

    [<Property>]
    let ``while n times is for over n items`` (body: Prog) (count: byte) (seed: int64) =
        let n = int count % 8
        let left =
            model {
                let i = ref 0
                while i.Value < n do
                    do! Model.ignore (body.Build(float i.Value))
                    i.Value <- i.Value + 1
            }
        let right =
            model {
                for i in 0 .. n - 1 do
                    do! Model.ignore (body.Build(float i))
            }
        assertSameRun left right seed

    [<Property>]
    let ``if without else is the body or nothing`` (pre: Prog) (body: Prog) (flag: bool) (seed: int64) =
        let left = model { let! _ = start pre in if flag then do! Model.ignore (body.Build 1.0) }
        let right = model { let! _ = start pre in return! (if flag then Model.ignore (body.Build 1.0) else Model.ret ()) }
        assertSameRun left right seed

    [<Property>]
    let ``try with around a body that does not throw is the body`` (m: Prog) (h: Prog) (seed: int64) =
        let left = model { try return! m.Build 1.0 with _ -> return! h.Build 2.0 }
        assertSameRun left (m.Build 1.0) seed

    [<Property>]
    let ``try with discards the failed body's effects and runs the handler from the start frame`` (pre: Prog) (m: Prog) (h: Prog) (seed: int64) =
        let left =
            model {
                let! _ = start pre
                try
                    let! _ = m.Build 1.0
                    return failwith "fail"
                with _ ->
                    return! h.Build 2.0
            }
        let right = model { let! _ = start pre in return! h.Build 2.0 }
        assertSameRun left right seed

    [<Property>]
    let ``try finally and use change nothing but run their compensation once`` (m: Prog) (seed: int64) =
        let count = ref 0
        let left =
            model {
                use _ = { new IDisposable with member _.Dispose() = count.Value <- count.Value + 1 }
                try
                    return! m.Build 1.0
                finally
                    count.Value <- count.Value + 10
            }
        assertSameRun left (m.Build 1.0) seed
        // assertSameRun runs each side twice (Init, Apply): both compensations ran once per run.
        Assert.Equal(22, count.Value)
