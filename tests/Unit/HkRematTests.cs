using System.Runtime.InteropServices;
using MiniHaiku.Layers;
using Linear = MiniHaiku.Layers.Linear;

namespace MiniHaiku.Tests;

/// <summary>Hk.Remat: same values and gradients as without it (dropout included).</summary>
public class HkRematTests
{
    private static Model<Tensor> Block(Tensor x) =>
        from l in Linear.Create(x.shape[^1] is var d ? (int)d : 0)
        from y in l.Call(x)
        from key in Hk.NextRngKey()
        select Dropout(key, torch.tanh(y));

    // Dropout from an explicit key: the mask is a function of the key alone.
    private static Tensor Dropout(RngKey key, Tensor x) => x * key.Bernoulli(0.7, x.shape).to_type(x.dtype) / 0.7;

    private static Model<Tensor> Net(Tensor x, int depth, bool remat)
    {
        Func<Tensor, Model<Tensor>> block = remat ? Hk.Remat(Block) : Block;
        return Hk.Aggregate(Enumerable.Range(0, depth), x, (h, _) => block(h)).Select(h => h.square().mean());
    }

    [Fact]
    public void RematGivesTheSameValueAndGradientsAsThePlainModelWithDropout()
    {
        var plain = Hk.Transform((Tensor x) => Net(x, 3, remat: false));
        var remat = Hk.Transform((Tensor x) => Net(x, 3, remat: true));
        var x = torch.randn(5, 4, generator: new torch.Generator(1));
        var p = plain.Init(0, x);
        Assert.True(p.BitwiseEquals(remat.Init(0, x)));
        var (v1, g1) = Grad.ValueAndGrad(q => plain.Apply(q, x, 7))(p);
        var (v2, g2) = Grad.ValueAndGrad(q => remat.Apply(q, x, 7))(p);
        Assert.Equal(v1.item<float>(), v2.item<float>());
        foreach (var (path, g) in g1) Assert.True(g.allclose(g2[path], rtol: 1e-5, atol: 1e-7), path);
        Assert.Contains(g1.Values, g => g.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void RematPassesGradientsToTheInput()
    {
        var remat = Hk.Transform((Tensor x) => Hk.ValueAndGrad(v => Net(v, 2, remat: true))(x));
        var plain = Hk.Transform((Tensor x) => Hk.ValueAndGrad(v => Net(v, 2, remat: false))(x));
        var x = torch.randn(3, 4, generator: new torch.Generator(2));
        var p = plain.Init(0, x);
        var a = plain.Apply(p, x, 3);
        var b = remat.Apply(p, x, 3);
        Assert.True(a.Grad.allclose(b.Grad, rtol: 1e-5, atol: 1e-7));
    }

    internal static Model<Tensor> NetFor(Tensor x, int depth, bool remat) => Net(x, depth, remat);
}

/// <summary>
/// Hk.Remat's memory: bytes the C heap holds between forward and backward. The heap is process-wide, so this
/// runs alone (no other test allocating meanwhile).
/// </summary>
[Collection(nameof(HkRematMemoryTests))]
public class HkRematMemoryTests
{
    private static Model<Tensor> Net(Tensor x, int depth, bool remat) => HkRematTests.NetFor(x, depth, remat);

    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint Arena, Ordblks, Smblks, Hblks, Hblkhd, Usmblks, Fsmblks, Uordblks, Fordblks, Keepcost;
    }

    [DllImport("libc", EntryPoint = "mallinfo2")]
    private static extern MallInfo2 MallInfo();

    private static long BytesInUse()
    {
        var m = MallInfo();
        return (long)(m.Uordblks + m.Hblkhd);
    }

    [Fact]
    public void RematHoldsFarLessMemoryBetweenForwardAndBackward()
    {
        if (!OperatingSystem.IsLinux()) return;
        const int depth = 8;
        var x = torch.randn(512, 256, generator: new torch.Generator(3));   // 512 KiB per activation
        var plain = Hk.Transform((Tensor v) => Net(v, depth, remat: false));
        var remat = Hk.Transform((Tensor v) => Net(v, depth, remat: true));
        var p = plain.Init(0, x).Map(t => t.detach().requires_grad_(true));

        long Held(Transformed<Tensor, Tensor> t)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var before = BytesInUse();
            using var scope = torch.NewDisposeScope();
            var loss = t.Apply(p, x, 5);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var held = BytesInUse() - before;
            loss.backward();
            return held;
        }

        Held(plain);
        Held(remat);   // warm up both paths
        var plainBytes = Held(plain);
        var rematBytes = Held(remat);
        // Plain keeps ~5 tensors per block (pre-activation, tanh, mask, scaled mask, output) alive for backward:
        // measured ≈ 22 MiB for 8 blocks of 512 KiB activations; remat keeps about two per block (its
        // output as returned by the autograd function, and the block's result): measured ≈ 9 MiB.
        Assert.True(plainBytes > 8L << 20, $"plain held {plainBytes} bytes");
        Assert.True(rematBytes * 2 < plainBytes, $"remat held {rematBytes} bytes, plain {plainBytes}");
    }
}

[CollectionDefinition(nameof(HkRematMemoryTests), DisableParallelization = true)]
public sealed class HkRematMemoryCollection;
