/// The library's layers from F#: the one-step forms (generic extensions over Layer and IRecurrentCore) and Layer.Call.
module MiniHaiku.Tests.FSharp.LayerTests

open Xunit
open MiniHaiku
open MiniHaiku.Layers
open MiniHaiku.Summaries
open TorchSharp

let private model = ModelBuilder()

/// docs/layers.md "From F#": conv → batch norm → relu → max pool → flatten → linear, then one LSTM step.
let private cnn (images: torch.Tensor) (isTraining: bool) =
    model {
        let! h = Conv2D.Create(8, 3).Call(images)
        let! h = BatchNorm.Create().Call(h, isTraining)
        let! h = MaxPool.Create(2).Call(Activations.Relu h)
        let! h = Flatten.Create().Call(h)
        let! step = LSTM.Create(4).Call(h, LSTMState(torch.zeros(2L, 4L), torch.zeros(2L, 4L)))
        let! linear = Linear.Create 3
        return! linear.Call step.Output
    }

[<Fact>]
let ``one-step layer calls name parameters as Haiku and summaries show every input`` () =
    let net = Hk.TransformWithState(fun (images: torch.Tensor) -> cnn images true)
    let images = torch.ones(2L, 6L, 6L, 1L)
    let struct (parameters, _) = net.Init(0L, images)
    Assert.Equal<string list>(
        [ "~/BatchNorm_0/__call__/offset"; "~/BatchNorm_0/__call__/scale"; "~/Conv2D_0/__call__/b"; "~/Conv2D_0/__call__/w"
          "~/LSTM_0/__call__/linear/__call__/b"; "~/LSTM_0/__call__/linear/__call__/w"; "~/Linear_0/__call__/b"; "~/Linear_0/__call__/w" ],
        parameters.Keys |> Seq.sort |> List.ofSeq)
    let table = Summary.Tabulate(net, images)
    Assert.Equal<string list>(
        [ "f32[2, 6, 6, 1]"; "f32[2, 6, 6, 8]"; "f32[2, 6, 6, 8]"; "f32[2, 3, 3, 8]"; "f32[2, 72]"; "f32[2, 76]"; "f32[2, 4]" ],
        [ for r in table.Rows -> r.Input ])
