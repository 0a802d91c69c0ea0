// Transposed convolution forward, 1 torch thread: the previous Conv2DTranspose algorithm (dilate the input by the
// stride, pad, conv2d: multiplies the inserted zeros), torch's own conv_transpose2d (the peer), and the current
// Conv2DTranspose.Apply (conv_transpose2d with the flipped kernel, then crop/pad to lax.conv_transpose's padding).
// Input [8, 32, 32, 32] NCHW, 32 → 32 channels, kernel 3, stride 2, SAME. Medians of 41 interleaved rounds.
// Run after building the C# quickstart (it holds the assemblies and the fixed-up natives):
//   dotnet build examples/Quickstart && dotnet fsi bench/ConvTranspose.fsx
#r "../examples/Quickstart/bin/Debug/net10.0/TorchSharp.dll"
#r "../examples/Quickstart/bin/Debug/net10.0/MiniHaiku.Core.dll"
open MiniHaiku
open MiniHaiku.Layers
open TorchSharp
System.Runtime.InteropServices.NativeLibrary.Load(System.IO.Path.Combine(__SOURCE_DIRECTORY__, "../examples/Quickstart/bin/Debug/net10.0/runtimes/linux-x64/native/libLibTorchSharp.so")) |> ignore
torch.set_num_threads(1)
let g = new torch.Generator(1UL)
let x = torch.randn([| 8L; 32L; 32L; 32L |], generator = g)           // NCHW
let f = Hk.Transform(fun (v: torch.Tensor) -> Conv2DTranspose.Create(32, 3, 2, dataFormat = DataFormat.ChannelsFirst, withBias = false).Call(v))
let p = f.Init(0L, x)
let w = p.["~/Conv2DTranspose_0/__call__/w"]                           // [kh, kw, O, I]
// The previous implementation: dilate by the stride (reshape + pad), pad (SAME: k=3, s=2 → (2, 1)), conv2d with the unflipped kernel.
let old (x: torch.Tensor) =
    let n, c, h, wd = x.shape.[0], x.shape.[1], x.shape.[2], x.shape.[3]
    let spread = torch.nn.functional.pad(x.reshape(n, c, h, 1L, wd, 1L), [| 0L; 1L; 0L; 0L; 0L; 1L |])
    let dilated = spread.reshape(n, c, h * 2L, wd * 2L).narrow(2, 0L, (h - 1L) * 2L + 1L).narrow(3, 0L, (wd - 1L) * 2L + 1L)
    let padded = torch.nn.functional.pad(dilated, [| 2L; 1L; 2L; 1L |])
    torch.nn.functional.conv2d(padded, w.permute(2L, 3L, 0L, 1L))
let peer (x: torch.Tensor) = torch.nn.functional.conv_transpose2d(x, w.permute(3L, 2L, 0L, 1L).flip(2L, 3L), null, [| 2L; 2L |])
let layer (x: torch.Tensor) = f.Apply(p, x)
printfn "max |new - old| = %g" ((layer x - old x).abs().max().item<float32>())
let once (fn: torch.Tensor -> torch.Tensor) =
    use s = torch.NewDisposeScope()
    let sw = System.Diagnostics.Stopwatch.StartNew()
    fn x |> ignore
    sw.Elapsed.TotalMilliseconds
let fns = [| old; peer; layer |]
for _ in 1 .. 3 do for fn in fns do once fn |> ignore
// Interleaved: each round times all three, so load changes hit them alike.
let samples = Array.init 41 (fun _ -> fns |> Array.map once)
let median k = samples |> Array.map (fun r -> r.[k]) |> Array.sort |> fun a -> a.[a.Length / 2]
let tOld, tPeer, tNew = median 0, median 1, median 2
printfn "old dilate+pad+conv2d %.2f ms | torch conv_transpose2d %.2f ms | new Conv2DTranspose.Apply %.2f ms (medians of 41 interleaved rounds)" tOld tPeer tNew
printfn "new/old = %.2f, new/torch = %.2f" (tNew / tOld) (tNew / tPeer)
