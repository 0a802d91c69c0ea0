using Linear = MiniHaiku.Tests.Support.Linear;

namespace MiniHaiku.Tests;

/// <summary>Hk.WhileLoop and Hk.Scan over a tensor.</summary>
public class HkLoopsTests
{
    [Fact]
    public void WhileLoopStopsOnTheDataAndSharesTheBodysParameters()
    {
        // Halve until the norm is below 1: the number of steps depends on the input.
        var f = Hk.Transform((Tensor x) =>
            Hk.WhileLoop(c => c.X.norm().item<float>() >= 1, c =>
                from s in Hk.GetParam("half", [], Initializers.Constant(0.5))
                select (X: c.X * s, Steps: c.Steps + 1), (X: x, Steps: 0)));
        var p = f.Init(0, ones(4));
        Assert.Equal(["~/half"], p.Keys);
        Assert.Equal(2, f.Apply(p, ones(4)).Steps);             // norm 2 → 1 → 0.5
        Assert.Equal(5, f.Apply(p, ones(4) * 8).Steps);         // 16 → … → 0.5
        Assert.Equal(0, f.Apply(p, ones(4) * 0.1).Steps);
        Assert.Equal(100_000, Hk.Transform((int n) => Hk.WhileLoop(i => i < n, i => Hk.Pure(i + 1), 0)).Apply(Params.Empty, 100_000));
        var e = Assert.Throws<ModelUsageException>(() => Hk.Transform((int _) => Hk.WhileLoop(_ => true, i => Hk.Pure(i + 1), 0, maxSteps: 10)).Apply(Params.Empty, 0));
        Assert.Equal("Hk.WhileLoop ran 10 steps and its condition still holds (maxSteps = 10).", e.Message);
    }

    [Fact]
    public void ScanOverATensorScansItsFirstAxis()
    {
        var f = Hk.Transform((Tensor xs) =>
            Hk.Scan((Tensor c, Tensor x) =>
                from l in Linear.Create(2, "cell") from y in l.Call(x.unsqueeze(0)) select (c + y.squeeze(0), y.squeeze(0)), zeros(2), xs));
        var xs = torch.randn(5, 3, generator: new torch.Generator(1));
        var p = f.Init(0, xs);
        var r = f.Apply(p, xs);
        Assert.Equal(5, r.Outputs.Count);
        var expected = xs.matmul(p["~/cell/__call__/W"]) + p["~/cell/__call__/b"];
        Assert.True(torch.stack(r.Outputs).allclose(expected, rtol: 1e-5, atol: 1e-6));
        Assert.True(r.Carry.allclose(expected.sum(0L, false), rtol: 1e-5, atol: 1e-5));
        Assert.Throws<ModelUsageException>(() => Hk.Scan((Tensor c, Tensor x) => Hk.Pure((c, x)), zeros(1), torch.tensor(1f)));
    }
}
