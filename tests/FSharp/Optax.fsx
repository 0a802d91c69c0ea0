// F# checks that the Optax wrappers, schedules, losses and tree utilities read naturally from F#,
// run by .ci/run after the build:
//   dotnet fsi tests/FSharp/Optax.fsx      (exits 1 if a check failed)
#r "../../examples/Quickstart/bin/Debug/net10.0/TorchSharp.dll"
#r "../../examples/Quickstart/bin/Debug/net10.0/MiniHaiku.Core.dll"

open System
open System.Collections.Generic
open MiniHaiku
open MiniHaiku.Layers
open MiniHaiku.Optim
open TorchSharp

let nativeDir = IO.Path.Combine(__SOURCE_DIRECTORY__, "../../examples/Quickstart/bin/Debug/net10.0/runtimes/linux-x64/native")
if OperatingSystem.IsLinux() then
    Runtime.InteropServices.NativeLibrary.Load(IO.Path.Combine(nativeDir, "libLibTorchSharp.so")) |> ignore

let mutable failures = 0
let check name cond =
    if cond then printfn "ok   %s" name
    else
        printfn "FAIL %s" name
        failures <- failures + 1

let w (values: float[]) = Params.Create([ KeyValuePair("~/w", torch.tensor(values, torch.float64)) ])
let first (p: Params) = p.["~/w"].data<float>().ToArray().[0]

// MultiSteps around InjectHyperparams: a lambda for the factory, readOnlyDict for the values.
let opt =
    Optimizers.MultiSteps(
        Optimizers.InjectHyperparams((fun h -> Optimizers.Sgd(Schedule.Constant h.["learning_rate"])), readOnlyDict [ ("learning_rate", 0.5) ]),
        2)
let s0 = opt.Init(w [| 0.0 |])
let u1, s1 = opt.Update(w [| 1.0 |], s0, null).ToTuple()
let u2, s2 = opt.Update(w [| 3.0 |], s1, null).ToTuple()
check "MultiSteps emits zeros, then the mean step" (first u1 = 0.0 && first u2 = -1.0)
check "the hyper-parameter is readable in the inner state" (s2.Inner.[0].Number "learning_rate" = 0.5)

// MultiTransform with an F# function for the labels; NamedChain with struct tuples.
let multi =
    Optimizers.MultiTransform(
        readOnlyDict [ ("sgd", Optimizers.Sgd(Schedule.Constant 1.0)); ("zero", Optimizers.SetToZero()) ],
        (fun path -> if path.EndsWith "/w" then "sgd" else "zero"))
let two = Params.Create([ KeyValuePair("~/w", torch.ones(1L, dtype = torch.float64)); KeyValuePair("~/b", torch.ones(1L, dtype = torch.float64)) ])
let mu, ms = multi.Update(two, multi.Init two, two).ToTuple()
check "MultiTransform labels by path" (mu.["~/w"].item<float>() = -1.0 && mu.["~/b"].item<float>() = 0.0 && List.ofSeq ms.InnerNames = [ "sgd"; "zero" ])
let named = Optimizers.NamedChain(struct ("clip", Optimizers.Clip 1.0), struct ("lr", Optimizers.ScaleByLearningRate(Schedule.Constant 0.1)))
let nu, _ = named.Update(w [| 5.0 |], named.Init(w [| 0.0 |]), null).ToTuple()
check "NamedChain clips then scales" (abs (first nu + 0.1) < 1e-12)

// ReduceOnPlateau gets the loss through the four-argument Update.
let plateau = Optimizers.ReduceOnPlateau(factor = 0.5, patience = 1)
let _, p1 = plateau.Update(w [| 1.0 |], plateau.Init(w [| 0.0 |]), null, 2.0).ToTuple()
let pu, _ = plateau.Update(w [| 1.0 |], p1, null, 2.0).ToTuple()
check "ReduceOnPlateau halves after a plateau" (first pu = 0.5)

// Schedules, losses and tree utilities.
let sched = Schedule.PiecewiseConstant(1.0, readOnlyDict [ (10L, 0.1) ])
check "PiecewiseConstant" (sched.ValueAt.Invoke 9L = 1.0 && abs (sched.ValueAt.Invoke 10L - 0.1) < 1e-15)
let huber = Losses.HuberLoss(torch.tensor([| 0.5; 3.0 |], torch.float64), delta = 1.0)
check "HuberLoss is per element" (huber.data<float>().ToArray() = [| 0.125; 2.5 |])
let selected, others = (two.Partition(fun path -> path.EndsWith "/w")).ToTuple()
check "Partition and Merge" (ParamsTree.Merge(selected, others).BitwiseEquals two && two.Vdot(two).item<float>() = 2.0)

if failures > 0 then exit 1
printfn "F# Optax: all checks passed"
