using MiniHaiku.Optim;

namespace MiniHaiku.Tests.Optim;

/// <summary>
/// The managed pass of Adam's moments and denominator computes what libtorch's kernels do (<c>lerp</c>, <c>mul</c> +
/// <c>addcmul</c>, <c>sqrt</c> + <c>add</c>), in place or into other buffers, on tails shorter than a vector, and when
/// split over threads.
/// </summary>
public class FusedAdamTests
{
    private const double B1 = 0.9, B2 = 0.999, Eps = 1e-8 * 0.7;

    private static (Tensor M, Tensor V, Tensor D) Reference(Tensor g, Tensor m, Tensor v)
    {
        using var weight = torch.tensor(1 - B1, g.dtype);
        var mNew = m.lerp(g, weight);
        var vNew = v.mul(B2).addcmul_(g, g, 1 - B2);
        var d = vNew.sqrt().add_(Eps);
        return (mNew, vNew, d);
    }

    private static bool Same(Tensor a, Tensor b) => a.eq(b).all().item<bool>();

    private static (Tensor G, Tensor M, Tensor V) Buffers(long n, ScalarType dtype, int seed)
    {
        using var gen = new Generator((ulong)seed);
        return (torch.randn(n, dtype: dtype, generator: gen), torch.randn(n, dtype: dtype, generator: gen) * 0.1,
            torch.rand(n, dtype: dtype, generator: gen) * 0.01);
    }

    [Theory]
    [InlineData(ScalarType.Float32, 1L, 1e-6)]
    [InlineData(ScalarType.Float32, 1027L, 1e-6)]
    [InlineData(ScalarType.Float64, 1027L, 1e-14)]
    [InlineData(ScalarType.Float64, 5L, 1e-14)]
    public void MatchesLibtorchsKernelsIntoNewBuffers(ScalarType dtype, long n, double tolerance)
    {
        var (g, m, v) = Buffers(n, dtype, 1);
        var (mRef, vRef, dRef) = Reference(g, m, v);
        var (gBefore, mBefore, vBefore) = (g.clone(), m.clone(), v.clone());
        Tensor mOut = torch.empty_like(m), vOut = torch.empty_like(v), dOut = torch.empty_like(g);
        Assert.True(FusedAdam.Fits(g, m, v));
        FusedAdam.Run(g, m, v, mOut, vOut, dOut, 1 - B1, B2, Eps);
        Assert.True(mOut.allclose(mRef, rtol: tolerance, atol: tolerance));
        Assert.True(vOut.allclose(vRef, rtol: tolerance, atol: tolerance));
        Assert.True(dOut.allclose(dRef, rtol: tolerance, atol: tolerance));
        Assert.True(Same(g, gBefore) && Same(m, mBefore) && Same(v, vBefore), "inputs are only read");
    }

    [Fact]
    public void InPlaceWithTheDenominatorInTheGradientBuffer()
    {
        var (g, m, v) = Buffers(4099, ScalarType.Float32, 2);
        var (mRef, vRef, dRef) = Reference(g, m, v);
        FusedAdam.Run(g, m, v, m, v, g, 1 - B1, B2, Eps);
        Assert.True(m.allclose(mRef, rtol: 1e-6, atol: 1e-7));
        Assert.True(v.allclose(vRef, rtol: 1e-6, atol: 1e-9));
        Assert.True(g.allclose(dRef, rtol: 1e-6, atol: 1e-9));
    }

    [Fact]
    public void SlicesThatStartInsideTheirStorageReadAndWriteTheirOwnValues()
    {
        var (g, m, v) = Buffers(300, ScalarType.Float32, 5);
        Tensor gs = g[100..200], ms = m[100..200], vs = v[100..200];
        var (mRef, vRef, dRef) = Reference(gs, ms, vs);
        var (gBefore, mBefore) = (g.clone(), m.clone());
        Assert.True(FusedAdam.Fits(gs, ms, vs));
        FusedAdam.Run(gs, ms, vs, ms, vs, gs, 1 - B1, B2, Eps);
        Assert.True(ms.allclose(mRef, rtol: 1e-6, atol: 1e-7) && vs.allclose(vRef, rtol: 1e-6, atol: 1e-9) && gs.allclose(dRef, rtol: 1e-6, atol: 1e-9));
        Assert.True(Same(g[..100], gBefore[..100]) && Same(g[200..], gBefore[200..]), "values outside the slice are untouched");
        Assert.True(Same(m[..100], mBefore[..100]) && Same(m[200..], mBefore[200..]));
    }

    [Fact]
    public void SplitOverThreadsGivesTheSameBitsAsOnePass()
    {
        var (g, m, v) = Buffers((1 << 20) + 13, ScalarType.Float32, 3);
        Tensor m1 = torch.empty_like(m), v1 = torch.empty_like(v), d1 = torch.empty_like(g);
        Tensor m3 = torch.empty_like(m), v3 = torch.empty_like(v), d3 = torch.empty_like(g);
        FusedAdam.Run(g, m, v, m1, v1, d1, 1 - B1, B2, Eps, threadCount: 1);
        FusedAdam.Run(g, m, v, m3, v3, d3, 1 - B1, B2, Eps, threadCount: 3);
        Assert.True(Same(m1, m3) && Same(v1, v3) && Same(d1, d3));
        var (mRef, _, dRef) = Reference(g, m, v);
        Assert.True(m3.allclose(mRef, rtol: 1e-6, atol: 1e-7) && d3.allclose(dRef, rtol: 1e-6, atol: 1e-9));
    }

    [Fact]
    public void OtherBuffersTakeTheKernels()
    {
        var (g, m, v) = Buffers(64, ScalarType.Float32, 4);
        Assert.False(FusedAdam.Fits(g.to_type(ScalarType.Float16), m.to_type(ScalarType.Float16), v.to_type(ScalarType.Float16)));
        Assert.False(FusedAdam.Fits(g, m.to_type(ScalarType.Float64), v));
        Assert.False(FusedAdam.Fits(g.view(8, 8).t(), m.view(8, 8), v.view(8, 8)));
        Assert.False(FusedAdam.Fits(g[..32], m, v));
        Assert.False(FusedAdam.Fits(torch.empty(0), torch.empty(0), torch.empty(0)));
    }
}
