// F# checks of the `model { … }` builder, run by .ci/run after the build:
//   dotnet fsi tests/FSharp/ModelBuilder.fsx      (exits 1 on the first failed check)
#r "../../examples/Quickstart/bin/Debug/net10.0/TorchSharp.dll"
#r "../../examples/Quickstart/bin/Debug/net10.0/MiniHaiku.Core.dll"

open System
open MiniHaiku
open TorchSharp

let nativeDir = IO.Path.Combine(__SOURCE_DIRECTORY__, "../../examples/Quickstart/bin/Debug/net10.0/runtimes/linux-x64/native")
if OperatingSystem.IsLinux() then
    Runtime.InteropServices.NativeLibrary.Load(IO.Path.Combine(nativeDir, "libLibTorchSharp.so")) |> ignore

let model = ModelBuilder()
let mutable failures = 0
let check name cond =
    if cond then printfn "ok   %s" name
    else
        printfn "FAIL %s" name
        failures <- failures + 1

// let!, return, and parameter paths at the top level.
let scaled =
    Hk.Transform(fun (x: torch.Tensor) ->
        model {
            let! s = Hk.GetParam("scale", [| 1L |], Initializers.Constant(3.0))
            return x * s
        })
let p = scaled.Init(0L, torch.ones(2L))
check "let!/return create ~/scale" (List.ofSeq p.Keys = [ "~/scale" ])
check "apply multiplies" ((scaled.Apply(p, torch.ones(2L))).sum().item<float32>() = 6.0f)

// for loops (For/Combine/Delay), if-without-else (Zero), and a state update bound with let!.
let counter =
    Hk.TransformWithState(fun (n: int) ->
        model {
            let! c = Hk.GetState("count", [| 1L |])
            let acc = ref c
            for _ in 1 .. n do
                acc.Value <- acc.Value + 1.0f
            if n > 100 then
                printfn "never printed"
            let! updated = Hk.SetState("count", acc.Value)
            return updated
        })
let struct (cp, cs) = counter.Init(0L, 0)
let struct (out, s1) = counter.Apply(cp, cs, 5)
check "for loop ran 5 times" (out.item<float32>() = 5.0f)
check "state returned by Apply" (s1.["~/count"].item<float32>() = 5.0f)

// Modules from functions: calling one instance twice reuses its parameters.
let dense (width: int64) =
    Hk.ToModule("Dense", fun (x: torch.Tensor) ->
        model {
            let! w = Hk.GetParam("w", [| x.shape.[1]; width |])
            return x.matmul w
        })
let twice =
    Hk.Transform(fun (x: torch.Tensor) ->
        model {
            let! d = dense 2L
            let! y = d.Call x
            let! z = d.Call y
            return z
        })
check "reused module keeps one parameter" (List.ofSeq (twice.Init(1L, torch.ones(1L, 2L)).Keys) = [ "~/Dense_0/__call__/w" ])

// while loops run in constant stack.
let loop =
    Hk.Transform(fun (n: int) ->
        model {
            let i = ref 0
            while i.Value < n do
                i.Value <- i.Value + 1
            return i.Value
        })
check "while loop of 100000 iterations" (loop.Apply(Params.Empty, 100000) = 100000)

// Errors surface as MiniHaikuException subtypes F# can match on.
let missing =
    try
        scaled.Apply(Params.Empty, torch.ones(2L)) |> ignore
        false
    with :? MissingParameterException as e -> e.Path = "~/scale"
check "MissingParameterException names the path" missing

if failures > 0 then exit 1
printfn "F# builder: all checks passed"
