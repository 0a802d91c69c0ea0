// The Fashion-MNIST MLP (784-256-128-10, ReLU, dropout 0.2, Adam 1e-3, batch 128) trained end to end
// from F# with the library's Trainer:
//   dotnet run -c Release --project examples/MiniHaiku.FashionMnist.FSharp -- [epochs] [data folder] [checkpoint]
// The data folder defaults to Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist); without
// it, the embedded 1,000 + 500 image sample is used, and the program says so.
open System
open System.Diagnostics
open System.IO
open System.Reflection
open MiniHaiku
open MiniHaiku.Data
open MiniHaiku.FSharp
open MiniHaiku.Layers
open TorchSharp

/// The classifier as an F# module class: three of the library's (C#) Linear layers, named as in the
/// C# example, inside one module whose parameters live under ~/Classifier_0/__call__/.
type Classifier(name, dropoutRate: float) =
    inherit Module(name)
    static member Create(dropoutRate) = Hk.create (fun name -> Classifier(name, dropoutRate))
    member this.Call(images: torch.Tensor, isTraining: bool) =
        this.Method(model {
            let! hidden1 = Linear.Create(256, name = "hidden1")
            and! hidden2 = Linear.Create(128, name = "hidden2")
            and! logits = Linear.Create(10, name = "logits")
            let! h1 = hidden1.Call(images.flatten 1)
            let! d1 = Hk.dropoutWhen isTraining dropoutRate (Activations.Relu h1)
            let! h2 = hidden2.Call d1
            let! d2 = Hk.dropoutWhen isTraining dropoutRate (Activations.Relu h2)
            return! logits.Call d2
        })

let net =
    Hk.transform (fun (images: torch.Tensor, isTraining: bool) ->
        model {
            let! classifier = Classifier.Create 0.2
            return! classifier.Call(images, isTraining)
        })

/// The epoch's batches in a shuffled order; each batch is disposed once the next one is asked for.
let batches (data: LabeledImages) (order: torch.Tensor) (batchSize: int64) =
    seq {
        for start in 0L .. batchSize .. data.Count - 1L do
            let length = min batchSize (data.Count - start)
            let struct (images, labels) =
                use indices = order.narrow(0, start, length)
                data.Batch indices
            try
                yield images, labels
            finally
                images.Dispose()
                labels.Dispose()
    }

/// Test loss and accuracy, 1,000 images at a time, without gradients.
let evaluate (parameters: Params) (data: LabeledImages) =
    use _ = torch.no_grad ()
    let mutable lossSum = 0.0
    let mutable correct = 0L
    for start in 0L .. 1000L .. data.Count - 1L do
        use _ = torch.NewDisposeScope()
        let length = min 1000L (data.Count - start)
        let struct (images, labels) = data.Slice(start, length)
        let logits = net |> Transform.apply parameters (images, false)
        lossSum <- lossSum + float (Losses.SoftmaxCrossEntropy(logits, labels).item<float32> ()) * float length
        correct <- correct + logits.argmax(1L).eq(labels).sum().item<int64> ()
    lossSum / float data.Count, float correct / float data.Count

/// Disposes the tensors of <c>old</c> that <c>next</c> does not share.
let disposeSuperseded (old: Training.TrainState) (next: Training.TrainState) =
    let keep = Collections.Generic.HashSet<torch.Tensor>(next.Tensors(), HashIdentity.Reference)
    for t in old.Tensors() do
        if keep.Add t then t.Dispose()

[<EntryPoint>]
let main argv =
    let epochs = if argv.Length > 0 then int argv[0] else 15
    let folder = if argv.Length > 1 then argv[1] else "/usr/share/datasets/fashion-mnist"
    let checkpoint = if argv.Length > 2 then argv[2] else Path.Combine("runs", "mlp-fsharp", "model.safetensors")
    let struct (train, test) =
        if FashionMnist.Exists folder then FashionMnist.Load folder
        else
            printfn "No Fashion-MNIST in %s (install dataset-fashion-mnist): training on the embedded sample." folder
            FashionMnist.LoadEmbedded(Assembly.GetExecutingAssembly())
    use train = train
    use test = test
    printfn "%d training and %d test images from %s" train.Count test.Count train.Source

    let first = train.Slice(0L, 1L)
    let struct (firstImages, _) = first
    let p0 = net |> Transform.init 0L (firstImages, false)
    printfn "MLP: %d parameters in %d tensors" (Params.elementCount p0) (Params.count p0)
    for path, shape in Params.shapes p0 do
        printfn "  %-40s %A" path shape

    let batchSize = 128L
    let trainer =
        Trainer.forModel net (fun (images, _) isTraining -> images, isTraining)
            (fun logits (_, labels) -> Losses.SoftmaxCrossEntropy(logits, labels))
            (fun (images: torch.Tensor, _) -> images.shape[0])
            (Optim.adam 1e-3)
    let shuffle = new torch.Generator(0UL)
    let mutable state = trainer |> Trainer.init 0L p0
    for epoch in 1..epochs do
        let clock = Stopwatch.StartNew()
        use order = torch.randperm(train.Count, generator = shuffle)
        let losses = ResizeArray<float>()
        let next = trainer |> Trainer.fitWithProgress 1 (fun r -> losses.Add r.Loss) (batches train order batchSize) state
        // Fit keeps the state it was given: free the previous epoch's (but not the initial parameters p0).
        if epoch > 1 then disposeSuperseded state next
        state <- next
        let testLoss, accuracy = evaluate state.Params test
        printfn "epoch %2d  train loss %.4f  test loss %.4f  test accuracy %.4f  (%.1f s)"
            epoch (Seq.average losses) testLoss accuracy clock.Elapsed.TotalSeconds

    Directory.CreateDirectory(Path.GetDirectoryName checkpoint) |> ignore
    Checkpoint.save checkpoint state.Params
    let restored = Checkpoint.loadParams checkpoint p0
    let _, accuracy = evaluate restored test
    printfn "test accuracy: %.4f (checkpoint %s)" accuracy checkpoint
    0
