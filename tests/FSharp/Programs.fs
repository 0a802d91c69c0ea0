/// Small generated models for the builder laws, and how two runs are compared.
module MiniHaiku.Tests.FSharp.Programs

open System
open Xunit
open FsCheck
open FsCheck.FSharp
open MiniHaiku
open MiniHaiku.FSharp
open TorchSharp

/// A module whose call asks for one parameter, so that programs also reserve module names.
type Probe(name) =
    inherit Module(name)
    member this.Call(x: float) =
        this.Method(model {
            let! w = Hk.getParam "w" [ 2L ]
            return float (w.sum().item<float32> ()) + x
        })

/// A small model whose behaviour depends on the value it is bound to: it asks for parameters (names
/// depending on the value), draws keys, creates modules, sets and reads state.
type Prog =
    | Const of int
    | Param of int
    | Key
    | Module
    | SetState of int
    | GetState of int

    member p.Build(a: float) : Model<float> =
        let bucket (arg: int) = (int (abs (floor a)) % 3 + abs arg) % 3
        match p with
        | Const arg -> Model.ret (a * 0.5 + float arg)
        | Param arg -> Hk.getParam ($"p{bucket arg}") [ 2L ] |> Model.map (fun t -> float (t.sum().item<float32> ()) + a)
        | Key -> Hk.nextRngKey |> Model.map (fun k -> float (k.Lo % 997UL) + a)
        | Module ->
            model {
                let! m = Hk.create Probe
                return! m.Call a
            }
        | SetState arg ->
            model {
                do! Hk.setState ($"s{bucket arg}") (torch.tensor (float32 a))
                return a + float arg
            }
        | GetState arg ->
            model {
                let! s = Hk.getStateWith (Initializers.Constant(float arg)) ($"s{bucket arg}") []
                let! k = Hk.maybeNextRngKey
                return float (s.item<float32> ()) + (if k.IsSome then 1.0 else 0.0)
            }

/// FsCheck generators for the law properties.
type Arbitraries =
    static member Prog() : Arbitrary<Prog> =
        let arg = Gen.choose (-3, 3)
        Gen.oneof [
            Gen.map Const arg
            Gen.map Param arg
            Gen.constant Key
            Gen.constant Module
            Gen.map SetState arg
            Gen.map GetState arg
        ]
        |> Arb.fromGen

/// Both models, run during Init and then during Apply (with the same key sequence), leave the same
/// value and the same frame: parameters, state, first state values, key, scope and parameters read.
let assertSameRun (left: Model<'T>) (right: Model<'T>) (seed: int64) =
    let lv, lf = left |> Model.run (Frame.ForInit(seed, withState = true))
    let rv, rf = right |> Model.run (Frame.ForInit(seed, withState = true))
    Assert.Equal<'T>(lv, rv)
    Assert.True(lf.Params.BitwiseEquals rf.Params, "parameters differ after Init")
    Assert.True(lf.State.BitwiseEquals rf.State, "state differs after Init")
    Assert.True(lf.InitialState.BitwiseEquals rf.InitialState, "initial state differs after Init")
    Assert.Equal(lf.Rng, rf.Rng)
    Assert.Equal(lf.CurrentScope.Path, rf.CurrentScope.Path)
    let key = RngKey.FromSeed seed
    let av, af = left |> Model.run (Frame.ForApply(lf.Params, lf.InitialState, Nullable key, withState = true))
    let bv, bf = right |> Model.run (Frame.ForApply(lf.Params, lf.InitialState, Nullable key, withState = true))
    Assert.Equal<'T>(av, bv)
    Assert.Equal<string list>(List.sort (List.ofSeq af.ReadParams), List.sort (List.ofSeq bf.ReadParams))
    Assert.True(af.State.BitwiseEquals bf.State, "state differs after Apply")
    Assert.Equal(af.Rng, bf.Rng)
