// MiniHaiku from F#: the notebook's MLP with the `model { … }` computation expression.
// Run after building the C# quickstart (it holds the assemblies and the fixed-up natives):
//   dotnet build examples/Quickstart && dotnet fsi examples/quickstart.fsx
#r "Quickstart/bin/Debug/net10.0/TorchSharp.dll"
#r "Quickstart/bin/Debug/net10.0/MiniHaiku.Core.dll"

open MiniHaiku
open TorchSharp

// F# Interactive does not read the build's native-library list, and TorchSharp's fallback would copy the
// unpatched natives out of the NuGet cache. Load the build output's (fixed-up) copy before any torch call.
let nativeDir = System.IO.Path.Combine(__SOURCE_DIRECTORY__, "Quickstart/bin/Debug/net10.0/runtimes/linux-x64/native")
if System.OperatingSystem.IsLinux() then
    System.Runtime.InteropServices.NativeLibrary.Load(System.IO.Path.Combine(nativeDir, "libLibTorchSharp.so")) |> ignore

let model = ModelBuilder()

/// Haiku's Linear, as a module made from a function: parameters W [in, out] and b [out].
let linear (width: int64) =
    Hk.ToModule("Linear", fun (x: torch.Tensor) ->
        model {
            let! w = Hk.GetParam("W", [| x.shape.[x.shape.Length - 1]; width |])
            let! b = Hk.GetParam("b", [| width |])
            return x.matmul(w) + b
        })

/// The notebook's MLP: sigmoid between layers, the last layer's output returned.
let mlp (widths: int64 list) =
    Hk.ToModule("MLP", fun (x: torch.Tensor) ->
        Hk.Aggregate(List.indexed widths, x, fun h (i, width) ->
            model {
                let! layer = linear width
                let! y = layer.Call h
                return (if i < widths.Length - 1 then torch.sigmoid y else y)
            }))

let net =
    Hk.Transform(fun (x: torch.Tensor) ->
        model {
            let! m = mlp [ 3L; 5L ]
            return! m.Call x
        })

let x = torch.ones(2L, 3L)
let parameters = net.Init(42L, x)
printfn "MLP([3, 5]) params: %O" (parameters.Shapes())
printfn "output shape: %s" (ShapeText.Format(net.Apply(parameters, x).shape))
