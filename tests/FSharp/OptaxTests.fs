/// The Optax wrappers, schedules, losses and tree utilities read naturally from F# (the C# API, called directly).
module MiniHaiku.Tests.FSharp.OptaxTests

open System
open System.Collections.Generic
open Xunit
open MiniHaiku
open MiniHaiku.Layers
open MiniHaiku.Optim
open TorchSharp

let private w (values: float[]) = Params.Create([ KeyValuePair("~/w", torch.tensor(values, torch.float64)) ])
let private first (p: Params) = p.["~/w"].data<float>().ToArray().[0]
let private two () =
    Params.Create([ KeyValuePair("~/w", torch.ones(1L, dtype = torch.float64)); KeyValuePair("~/b", torch.ones(1L, dtype = torch.float64)) ])

[<Fact>]
let ``MultiSteps around InjectHyperparams emits zeros then the mean step`` () =
    let opt =
        Optimizers.MultiSteps(
            Optimizers.InjectHyperparams((fun h -> Optimizers.Sgd(Schedule.Constant h.["learning_rate"])), readOnlyDict [ ("learning_rate", 0.5) ]),
            2)
    let s0 = opt.Init(w [| 0.0 |])
    let u1, s1 = opt.Update(w [| 1.0 |], s0, (null: Params)).ToTuple()
    let u2, s2 = opt.Update(w [| 3.0 |], s1, (null: Params)).ToTuple()
    Assert.Equal(0.0, first u1)
    Assert.Equal(-1.0, first u2)
    Assert.Equal(0.5, s2.Inner.[0].Number "learning_rate")

[<Fact>]
let ``MultiTransform labels by path and NamedChain clips then scales`` () =
    let multi =
        Optimizers.MultiTransform(
            readOnlyDict [ ("sgd", Optimizers.Sgd(Schedule.Constant 1.0)); ("zero", Optimizers.SetToZero()) ],
            (fun (path: string) -> if path.EndsWith "/w" then "sgd" else "zero"))
    let p = two ()
    let (mu: Params), (ms: OptState) = multi.Update(p, multi.Init(p), p).ToTuple()
    Assert.Equal(-1.0, mu.["~/w"].item<float> ())
    Assert.Equal(0.0, mu.["~/b"].item<float> ())
    Assert.Equal<string list>([ "sgd"; "zero" ], List.ofSeq ms.InnerNames)
    let named = Optimizers.NamedChain(struct ("clip", Optimizers.Clip 1.0), struct ("lr", Optimizers.ScaleByLearningRate(Schedule.Constant 0.1)))
    let nu, _ = named.Update(w [| 5.0 |], named.Init(w [| 0.0 |]), (null: Params)).ToTuple()
    Assert.Equal(-0.1, first nu, 12)

[<Fact>]
let ``ReduceOnPlateau gets the loss through the four-argument Update`` () =
    let plateau = Optimizers.ReduceOnPlateau(factor = 0.5, patience = 1)
    let _, p1 = plateau.Update(w [| 1.0 |], plateau.Init(w [| 0.0 |]), null, 2.0).ToTuple()
    let pu, _ = plateau.Update(w [| 1.0 |], p1, null, 2.0).ToTuple()
    Assert.Equal(0.5, first pu)

[<Fact>]
let ``Schedules, losses and tree utilities`` () =
    let sched = Schedule.PiecewiseConstant(1.0, readOnlyDict [ (10L, 0.1) ])
    Assert.Equal(1.0, sched.ValueAt.Invoke 9L)
    Assert.Equal(0.1, sched.ValueAt.Invoke 10L, 15)
    let huber = Losses.HuberLoss(torch.tensor([| 0.5; 3.0 |], torch.float64), delta = 1.0)
    Assert.Equal<float[]>([| 0.125; 2.5 |], huber.data<float>().ToArray())
    let p = two ()
    let selected, others = (p.Partition(fun path -> path.EndsWith "/w")).ToTuple()
    Assert.True(ParamsTree.Merge(selected, others).BitwiseEquals p)
    Assert.Equal(2.0, p.Vdot(p).item<float> ())
