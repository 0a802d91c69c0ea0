// What the F# face costs against the C# face, measured in one process, interleaved (1 torch thread):
//   dotnet run -c Release --project bench/MiniHaiku.FSharp.Bench -- [rounds]
// 1. Apply of the tiny 2-layer 32-wide MLP at batch 1 (as bench/MiniHaiku.Benchmarks' overhead row):
//    F# module classes + model { } versus the C# layers + query syntax, both without autograd.
// 2. Building and running a chain of 1,000 binds: model { let! … } versus Model.SelectMany.
// Prints the median time and the managed bytes allocated per operation of each, and the ratios F# / C#.
open System
open System.Diagnostics
open MiniHaiku
open MiniHaiku.FSharp
open MiniHaiku.Layers
open TorchSharp

/// Haiku's Linear as an F# class, with its initializers: the same paths and parameters as Layers.Linear.
type Linear(name, outputSize: int64) =
    inherit Module(name)
    static member Create(outputSize) = Hk.create (fun name -> Linear(name, outputSize))
    member this.Call(x: torch.Tensor) =
        let inSize = Array.last x.shape
        this.Method(model {
            let! w = Hk.getParamWith (Initializers.TruncatedNormal(1.0 / sqrt (float inSize))) "w" [ inSize; outputSize ]
            let! b = Hk.getParamWith (Initializers.Zeros()) "b" [ outputSize ]
            return x.matmul(w).add_ b
        })

let fsharpTiny =
    Hk.transform (fun (x: torch.Tensor) ->
        model {
            let! first = Linear.Create 32L
            let! h = first.Call x
            let! second = Linear.Create 32L
            return! second.Call(Activations.Relu h)
        })

let csharpTiny =
    Hk.Transform(fun (x: torch.Tensor) ->
        Layers.Linear.Create(32).SelectMany(fun first ->
            first.Call(x).SelectMany(fun h ->
                Layers.Linear.Create(32).SelectMany(fun second -> second.Call(Activations.Relu h)))))

let fsharpChain (n: int) =
    let rec go i (acc: Model<int>) = if i = n then acc else go (i + 1) (model { let! v = acc in return v + 1 })
    go 0 (Model.ret 0)

let csharpChain (n: int) =
    let rec go i (acc: Model<int>) = if i = n then acc else go (i + 1) (acc.SelectMany(fun v -> Hk.Pure(v + 1)))
    go 0 (Hk.Pure 0)

/// Times one round of `perRound` operations: microseconds per operation into `samples`; returns the
/// managed bytes allocated per operation (deterministic, unlike time on a shared machine).
let timeRounds (samples: ResizeArray<float>) (perRound: int) (operation: unit -> unit) =
    let before = GC.GetAllocatedBytesForCurrentThread()
    let clock = Stopwatch.StartNew()
    for _ in 1..perRound do operation ()
    samples.Add(clock.Elapsed.TotalMilliseconds * 1000.0 / float perRound)
    float (GC.GetAllocatedBytesForCurrentThread() - before) / float perRound

let median (xs: ResizeArray<float>) = let s = Seq.sort xs |> Array.ofSeq in s[s.Length / 2]

[<EntryPoint>]
let main argv =
    let rounds = if argv.Length > 0 then int argv[0] else 30
    torch.set_num_threads 1
    let x = torch.rand (1L, 32L, generator = new torch.Generator(3UL))
    let pf = fsharpTiny |> Transform.init 0L x
    let pc = csharpTiny.Init(0L, x)
    if not (pf.BitwiseEquals pc) then failwith "the two MLPs should have identical parameters"
    let applyF () = (use _ = torch.no_grad () in (fsharpTiny |> Transform.apply pf x).Dispose())
    let applyC () = (use _ = torch.no_grad () in csharpTiny.Apply(pc, x).Dispose())
    // Build and run a chain through a transform's Init (the public way to run a model).
    let run (build: unit -> Model<'T>) = MiniHaiku.Hk.Transform(Func<unit, Model<'T>>(fun () -> build ())).Init(0L, ()) |> ignore
    let chainF () = run (fun () -> fsharpChain 1000)
    let chainC () = run (fun () -> csharpChain 1000)
    let cases = [ "Apply tiny MLP b1", applyF, applyC, 2000; "1,000 binds (build + run)", chainF, chainC, 20 ]
    // Warm-up: two seconds per case, so that the JIT's tier-1 code (compiled in the background, slowly on
    // a loaded machine) is what gets measured.
    for _, f, c, n in cases do
        let clock = Stopwatch.StartNew()
        while clock.Elapsed.TotalSeconds < 2.0 do
            timeRounds (ResizeArray()) n f |> ignore
            timeRounds (ResizeArray()) n c |> ignore
    printfn "%-26s %10s %10s %7s %12s %12s %7s" "case" "F# µs/op" "C# µs/op" "F#/C#" "F# bytes/op" "C# bytes/op" "F#/C#"
    for name, f, c, n in cases do
        let fs, cs = ResizeArray(), ResizeArray()
        let mutable bf, bc = 0.0, 0.0
        for _ in 1..rounds do
            bf <- timeRounds fs n f
            bc <- timeRounds cs n c
        let mf, mc = median fs, median cs
        printfn "%-26s %10.2f %10.2f %7.2f %12.0f %12.0f %7.2f" name mf mc (mf / mc) bf bc (bf / bc)
    0
