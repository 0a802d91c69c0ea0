using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

/// <summary>
/// <see cref="Activations.Gelu(Tensor)"/> on large contiguous float32 CPU tensors runs a managed vectorised kernel with its own
/// autograd node: its values, gradients and second derivatives must be libtorch's <c>gelu(approximate: tanh)</c> up to rounding.
/// </summary>
public class ActivationsGeluTanhTests
{
    private static readonly TorchSharp.Modules.GELU.Approximate Tanh = TorchSharp.Modules.GELU.Approximate.tanh;

    // 4 · 8 · 1031 values (> the managed path's threshold, not a multiple of the vector width), spread over [-40, 40],
    // plus the special values.
    private static Tensor Input()
    {
        var x = (Random(3, 4, 8, 1031) * 6).to_type(ScalarType.Float32);
        var flat = x.view(-1);
        float[] special = [0f, -0f, 1e-30f, -1e-30f, 40f, -40f, 9f, -9f, 1e6f, -1e6f];
        for (var i = 0; i < special.Length; i++) flat[i] = special[i];
        return x;
    }

    [Fact]
    public void TheKernelTakesLargeContiguousFloat32CpuTensorsOnly()
    {
        Assert.True(GeluTanhKernel.Fits(Input()));
        Assert.False(GeluTanhKernel.Fits(Input().transpose(0, 2)));
        Assert.False(GeluTanhKernel.Fits(Input().to_type(ScalarType.Float64)));
        Assert.False(GeluTanhKernel.Fits(torch.zeros(GeluTanhKernel.MinValues - 1)));
    }

    // libtorch's GELU in float64: the reference both float32 versions are measured against.
    private static (Tensor Value, Tensor Grad) Exact(Tensor upstream)
    {
        var x = Input().to_type(ScalarType.Float64).requires_grad_();
        var y = nn.functional.gelu(x, Tanh);
        (y * upstream).sum().backward();
        return (y.detach(), x.grad!);
    }

    [Fact]
    public void ValuesMatchLibtorch()
    {
        var x = Input();
        var actual = Activations.Gelu(x);
        Assert.Equal(ScalarType.Float32, actual.dtype);
        AssertClose(nn.functional.gelu(x, Tanh), actual, rtol: 2e-6, atol: 1e-6);
        AssertClose(Exact(torch.ones(1, dtype: ScalarType.Float64)).Value, actual.to_type(ScalarType.Float64), rtol: 2e-7, atol: 1e-7);
        Assert.Equal(0f, actual.view(-1)[0].item<float>());
        Assert.Equal(1e6f, actual.view(-1)[8].item<float>());
        Assert.Equal(0f, actual.view(-1)[9].item<float>(), 1e-30f);
    }

    [Fact]
    public void AContiguousSliceIsReadFromItsOffset()
    {
        var whole = Input();
        var slice = whole.narrow(0, 1, 3); // contiguous, storage offset 8 · 1031
        Assert.True(GeluTanhKernel.Fits(slice));
        AssertClose(nn.functional.gelu(slice, Tanh), Activations.Gelu(slice), rtol: 2e-6, atol: 1e-6);
    }

    [Fact]
    public void NonFiniteInputsGiveLibtorchsResults()
    {
        var x = torch.zeros(GeluTanhKernel.MinValues + 3);
        x[0] = float.NaN;
        x[1] = float.PositiveInfinity;
        x[^1] = float.NaN; // in the scalar tail
        var y = Activations.Gelu(x);
        Assert.True(float.IsNaN(y[0].item<float>()));
        Assert.Equal(float.PositiveInfinity, y[1].item<float>());
        Assert.True(float.IsNaN(y[^1].item<float>()));
    }

    [Fact]
    public void GradientsMatchLibtorchAndAreAtLeastAsAccurate()
    {
        var upstream = Random(5, 4, 8, 1031);
        var x = Input().requires_grad_();
        (Activations.Gelu(x) * upstream.to_type(ScalarType.Float32)).sum().backward();
        var reference = Input().requires_grad_();
        (nn.functional.gelu(reference, Tanh) * upstream.to_type(ScalarType.Float32)).sum().backward();
        // libtorch's float32 gradient computes 1 − tanh² and is off by up to ≈ 1e-6 · |upstream| near x ≈ 5; this one is not.
        AssertClose(reference.grad!, x.grad!, rtol: 1e-5, atol: 1e-5);
        var exact = Exact(upstream).Grad;
        var ours = (x.grad!.to_type(ScalarType.Float64) - exact).abs().max().item<double>();
        var libtorchs = (reference.grad!.to_type(ScalarType.Float64) - exact).abs().max().item<double>();
        Assert.True(ours <= libtorchs, $"max error {ours:G3} against libtorch's {libtorchs:G3}");
        Assert.True(ours < 2e-6, $"max error {ours:G3}");
    }

    [Fact]
    public void AnExpandedUpstreamGradientIsHandled()
    {
        var x = Input().requires_grad_();
        Activations.Gelu(x).sum().backward(); // sum's backward hands on an expanded (non-contiguous) gradient
        AssertClose(Exact(torch.ones(1, dtype: ScalarType.Float64)).Grad, x.grad!.to_type(ScalarType.Float64), rtol: 1e-6, atol: 1e-6);
    }

    [Fact]
    public void SecondDerivativesMatchLibtorch()
    {
        var x = Input().requires_grad_();
        var g = torch.autograd.grad([Activations.Gelu(x).sum()], [x], create_graph: true)[0];
        Assert.True(g.requires_grad);
        var gg = torch.autograd.grad([(g * g).sum()], [x])[0];
        var reference = Input().to_type(ScalarType.Float64).requires_grad_();
        var rg = torch.autograd.grad([nn.functional.gelu(reference, Tanh).sum()], [reference], create_graph: true)[0];
        var rgg = torch.autograd.grad([(rg * rg).sum()], [reference])[0];
        AssertClose(rg.detach(), g.detach().to_type(ScalarType.Float64), rtol: 1e-6, atol: 1e-6);
        AssertClose(rgg, gg.to_type(ScalarType.Float64), rtol: 1e-4, atol: 1e-5);
    }

    [Fact]
    public void OtherInputsKeepLibtorchsKernel()
    {
        var small = Random(7, 3, 5).to_type(ScalarType.Float32);
        Assert.True(nn.functional.gelu(small, Tanh).Equals(Activations.Gelu(small)));
        var strided = Input().transpose(0, 2);
        Assert.True(nn.functional.gelu(strided, Tanh).Equals(Activations.Gelu(strided)));
        var wide = Input().to_type(ScalarType.Float64);
        Assert.True(nn.functional.gelu(wide, Tanh).Equals(Activations.Gelu(wide)));
    }

    [Fact]
    public void ConcurrentCallsUnderGcGiveTheSameGradients()
    {
        var expected = Input().requires_grad_();
        Activations.Gelu(expected).sum().backward();
        var reference = expected.grad!.clone();
        var failures = 0;
        Parallel.For(0, 4, _ =>
        {
            for (var i = 0; i < 10; i++)
            {
                using var scope = torch.NewDisposeScope();
                var x = Input().requires_grad_();
                Activations.Gelu(x).sum().backward();
                if (!x.grad!.Equals(reference)) Interlocked.Increment(ref failures);
                GC.Collect();
            }
        });
        Assert.Equal(0, failures);
    }

    [Fact]
    public void WithoutGradientTrackingNoNodeIsMade()
    {
        var x = Input().requires_grad_();
        using (torch.no_grad()) Assert.False(Activations.Gelu(x).requires_grad);
        Assert.False(Activations.Gelu(Input()).requires_grad);
        Assert.True(Activations.Gelu(x).requires_grad);
    }
}
