using Linear = MiniHaiku.Tests.Support.Linear;

namespace MiniHaiku.Tests;

/// <summary>Hk.ValueAndGrad and Hk.Gradient: gradients with respect to inputs inside a transform.</summary>
public class HkGradTests
{
    private static Model<Tensor> Critic(Tensor x) =>
        from l in Linear.Create(1, "critic") from y in l.Call(x) select torch.tanh(y).sum();

    [Fact]
    public void GradientWithRespectToTheInputMatchesTheFormula()
    {
        var f = Hk.Transform((Tensor x) => Hk.ValueAndGrad(Critic)(x));
        var x = torch.randn(4, 3, generator: new torch.Generator(1));
        var p = f.Init(0, x);
        var (value, grad) = f.Apply(p, x);
        var w = p["~/critic/__call__/W"];
        var pre = x.matmul(w) + p["~/critic/__call__/b"];
        Assert.True(value.allclose(torch.tanh(pre).sum()));
        var expected = (1 - torch.tanh(pre).square()).matmul(w.t());
        Assert.True(grad.allclose(expected, rtol: 1e-5, atol: 1e-6));
        Assert.True(Hk.Transform((Tensor v) => Hk.Gradient(Critic)(v)).Apply(p, x).allclose(expected, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void AGradientPenaltyTrainsTheParameters()
    {
        // penalty = ‖∂critic/∂x‖², differentiated with respect to the parameters: compare with finite differences.
        static Model<Tensor> Critic64(Tensor x) =>
            from w in Hk.GetParam("w", [3, 1], dtype: ScalarType.Float64)
            from b in Hk.GetParam("b", [1], dtype: ScalarType.Float64)
            select torch.tanh(x.matmul(w) + b).sum();
        var f = Hk.Transform((Tensor x) => from vg in Hk.ValueAndGrad(Critic64)(x) select vg.Grad.square().sum());
        var x = torch.randn(4, 3, dtype: ScalarType.Float64, generator: new torch.Generator(2));
        var p = f.Init(0, x);
        var grads = Grad.Gradient(q => f.Apply(q, x))(p);
        const double h = 1e-6;
        foreach (var (path, t) in p)
            for (var i = 0; i < t.numel(); i++)
            {
                double Loss(double delta)
                {
                    var copy = t.clone();
                    var flat = copy.view(-1);
                    flat[i] = flat[i] + delta;
                    return f.Apply(p.With(path, copy), x).item<double>();
                }
                var numeric = (Loss(h) - Loss(-h)) / (2 * h);
                Assert.Equal(numeric, grads[path].view(-1)[i].item<double>(), 5);
            }
    }

    [Fact]
    public void BadFunctionsAreGradientExceptions()
    {
        var notScalar = Hk.Transform((Tensor x) => Hk.ValueAndGrad(v => Hk.Pure(v * 2))(x));
        Assert.Equal("The function given to Hk.ValueAndGrad must return a scalar (one element) but returned shape (3,). Reduce it, e.g. with .sum().",
            Assert.Throws<GradientException>(() => notScalar.Apply(Params.Empty, ones(3))).Message);
        var integer = Hk.Transform((Tensor x) => Hk.ValueAndGrad(v => Hk.Pure(v.sum()))(x));
        Assert.Throws<GradientException>(() => integer.Apply(Params.Empty, torch.ones(3, dtype: ScalarType.Int64)));
        // A value that does not depend on the input has a zero gradient.
        var constant = Hk.Transform((Tensor x) => Hk.Gradient(_ => Hk.Pure(torch.tensor(1f)))(x));
        Assert.True(constant.Apply(Params.Empty, ones(3)).Equals(zeros(3)));
    }
}
