/// Small training runs written the F# way: a loss decreases with plain Grad/Optim functions and with the Trainer.
module MiniHaiku.Tests.FSharp.TrainingTests

open System
open MiniHaiku
open MiniHaiku.FSharp
open MiniHaiku.Training
open MiniHaiku.Tests.FSharp.NotebookModules
open TorchSharp
open Xunit

let private data () =
    let g = new torch.Generator(3UL)
    let x = torch.randn (64L, 3L, generator = g)
    let y = x.matmul((torch.tensor [| 1.0f; -2.0f; 0.5f |]).reshape(3L, 1L)).add(torch.tensor 0.3f)
    x, y

let private net = Hk.transform (fun (x: torch.Tensor) -> model { let! l = Haiku.Linear.Create 1L in return! l.Call x })

let private mse (prediction: torch.Tensor) (target: torch.Tensor) = (prediction - target).square().mean ()

[<Fact>]
let ``a loop of Grad.valueAndGrad and Optim.update fits a linear map`` () =
    let x, y = data ()
    let loss p = mse (net |> Transform.apply p x) y
    let opt = Optim.adam 0.05
    let rec train step (p: Params) state losses =
        if step = 200 then p, List.rev losses
        else
            let value, grads = Grad.valueAndGrad loss p
            let updates, state = Optim.update opt grads state p
            train (step + 1) (Optim.applyUpdates updates p) state (value.item<float32> () :: losses)
    let p0 = net |> Transform.init 0L x
    let _, losses = train 0 p0 (Optim.init opt p0) []
    Assert.True(List.last losses < List.head losses / 20.0f, $"loss {List.head losses} -> {List.last losses}")

[<Fact>]
let ``the Trainer fits the same map and reports progress`` () =
    let x, y = data ()
    let trainer = Trainer.forModel net (fun (bx, _) _ -> bx) (fun out (_, by) -> mse out by) (fun (bx: torch.Tensor, _) -> bx.shape[0]) (Optim.adam 0.05)
    let s0 = trainer |> Trainer.init 0L (net |> Transform.init 0L x)
    let s1, first = trainer |> Trainer.step (x, y) s0
    let reports = ResizeArray<TrainProgress>()
    let final = trainer |> Trainer.fitWithProgress 50 reports.Add (Seq.replicate 200 (x, y)) s1
    Assert.Equal(201L, final.Step)
    Assert.Equal<int64 list>([ 50L; 100L; 150L; 200L ], [ for r in reports -> r.Step ])
    let last = reports[reports.Count - 1].Loss
    Assert.True(last < first / 20.0, $"loss {first} -> {last}")
    let _, again = trainer |> Trainer.step (x, y) (trainer |> Trainer.fit [ (x, y) ] final)
    Assert.True(again < first / 20.0)

[<Fact>]
let ``Trainer.create takes a loss of params, batch and key`` () =
    let x, y = data ()
    let keys = ResizeArray<RngKey>()
    let trainer = Trainer.create (fun p (bx, by) key -> keys.Add key; mse (net |> Transform.apply p bx) by) (Optim.sgd 0.1)
    let s0 = trainer |> Trainer.init 0L (net |> Transform.init 0L x)
    let s1, l0 = trainer |> Trainer.step (x, y) s0
    let _, l1 = trainer |> Trainer.step (x, y) s1
    Assert.True(l1 < l0)
    Assert.NotEqual(keys[0], keys[1])

/// A model whose state counts the training steps it saw, next to a Linear it trains.
let private counting =
    Hk.transformWithState (fun (x: torch.Tensor, isTraining: bool) ->
        model {
            let! seen = Hk.getState "seen" []
            if isTraining then
                do! Hk.setState "seen" (seen + torch.tensor 1.0f)
            let! l = Haiku.Linear.Create 1L
            return! l.Call x
        })

[<Fact>]
let ``a stateful model trains with forStatefulModel; its state and the train state survive a checkpoint`` () =
    let x, y = data ()
    let p, s = counting |> TransformWithState.init 0L (x, false)
    let trainer = Trainer.forStatefulModel counting (fun (bx, _) isTraining -> bx, isTraining) (fun out (_, by) -> mse out by) (fun _ -> 64L) (Optim.adam 0.05)
    let s0 = trainer |> Trainer.initWithState 0L p s
    let final = trainer |> Trainer.fit (Seq.replicate 5 (x, y)) s0
    Assert.Equal(5.0f, (Params.find "~/seen" final.State).item<float32> ())
    let dir = IO.Directory.CreateTempSubdirectory "minihaiku-fsharp-train"
    try
        let path = IO.Path.Combine(dir.FullName, "train.safetensors")
        Checkpoint.saveTrainState path final
        let restored = Checkpoint.loadTrainState path s0
        Assert.Equal(final.Step, restored.Step)
        Assert.True(restored.Params.BitwiseEquals final.Params)
        Assert.True(restored.State.BitwiseEquals final.State)
    finally
        dir.Delete true

[<Fact>]
let ``the epoch-aware Fit takes F# callbacks, early stopping and periodic checkpoints, and resumes`` () =
    let x, y = data ()
    let trainer = Trainer.forModel net (fun (bx, _) _ -> bx) (fun out (_, by) -> mse out by) (fun (bx: torch.Tensor, _) -> bx.shape[0]) (Optim.adam 0.05)
    let template () = trainer |> Trainer.init 0L (net |> Transform.init 0L x)
    let dir = IO.Directory.CreateTempSubdirectory("minihaiku-fsharp-fit-").FullName
    try
        let steps = ResizeArray<int64>()
        let recorder =
            { new TrainingCallback() with
                override _.OnStep s = steps.Add s.State.Step }
        let options start (callbacks: TrainingCallback list) =
            FitOptions<torch.Tensor * torch.Tensor>(3, (fun _ -> Seq.replicate 4 (x, y)),
                Evaluate = (fun s _ -> readOnlyDict [ "loss", float ((mse (net |> Transform.apply s.Params x) y).ToSingle()) ]),
                Callbacks = Array.ofList callbacks,
                StartAt = start)
        let straight =
            trainer.Fit(template (), options FitPosition.Start
                [ recorder; Checkpoints.PeriodicCheckpoints(dir, everySteps = 2L, keepLast = 10, bestMetric = "loss", higherIsBetter = false)
                  EarlyStopping("loss", 2, higherIsBetter = false) ])
        Assert.Equal<int64 list>([ 1L .. 12L ], List.ofSeq steps)
        Assert.Equal(3, straight.History.Count)
        // Resume from the checkpoint of step 6 (epoch 2, 2 batches done) and reach the same parameters.
        let resume = Checkpoints.TrainingCheckpoint.Load(Checkpoints.PeriodicCheckpoints.StepPath(dir, 6L), template ())
        Assert.Equal(FitPosition(2, 2L), resume.Position)
        let resumed = trainer.Fit(resume.State, options resume.Position [])
        for KeyValue(k, t) in straight.State.Params do
            Assert.True(t.bytes.ToArray() = resumed.State.Params[k].bytes.ToArray(), k)
    finally
        IO.Directory.Delete(dir, true)
