using MiniHaiku.Optim;
using static MiniHaiku.Tests.Optim.OptimizerHarness;

namespace MiniHaiku.Tests.Optim;

/// <summary>The backtracking (Armijo) line search and L-BFGS with it.</summary>
public class LinesearchTests
{
    private static Tensor SumOfSquares(Params q) => q["~/x"].square().sum();

    [Fact]
    public void BacktracksUntilSufficientDecreaseAndRemembersTheStep()
    {
        var p = Params.Create([new("~/x", torch.tensor(new[] { 1.0, 2.0 }, float64))]);
        var ls = Optimizers.ScaleByBacktrackingLinesearch(SumOfSquares, maxBacktrackingSteps: 20);
        var direction = Params.Create([new("~/x", torch.tensor(new[] { -2.0, -4.0 }, float64))]); // -∇f
        // f = 5, slope ⟨u, ∇f⟩ = -20. Step 1: f(-x) = 5 > 5 - 1e-4·20, rejected; step 0.8: f(-0.6x) = 1.8, accepted.
        var (u, s) = ls.Update(direction, ls.Init(p), p);
        Assert.True(u["~/x"].allclose(torch.tensor(new[] { -1.6, -3.2 }, float64), rtol: 1e-14, atol: 0));
        Assert.Equal(0.8, s.Slot("learning_rate")["learning_rate"].item<double>(), 15);
        // The next search starts at min(1.5 · 0.8, 1) = 1 (and backtracks again from there).
        var p2 = p.ApplyUpdates(u);
        var (u2, s2) = ls.Update(Params.Create([new("~/x", p2["~/x"].mul(torch.tensor(-2.0, float64)))]), s, p2);
        Assert.Equal(0.8, s2.Slot("learning_rate")["learning_rate"].item<double>(), 15);
        Assert.True(SumOfSquares(p2.ApplyUpdates(u2)).item<double>() < SumOfSquares(p2).item<double>());
    }

    [Fact]
    public void AnAscentDirectionGetsAZeroStepOnlyWhenEveryTrialIsNotFinite()
    {
        var p = Params.Create([new("~/x", torch.tensor(new[] { 1.0 }, float64))]);
        var ls = Optimizers.ScaleByBacktrackingLinesearch(q => torch.log(q["~/x"].neg().add(torch.tensor(1.5, float64))).sum().neg(), maxBacktrackingSteps: 3);
        // f = -log(1.5 - x) is NaN for x > 1.5: trials at x + η·10 stay there for η ≥ 0.8^3.
        var (u, _) = ls.Update(Params.Create([new("~/x", torch.tensor(new[] { 10.0 }, float64))]), ls.Init(p), p);
        Assert.Equal(0.0, u["~/x"].item<double>());
    }

    [Fact]
    public void LbfgsWithLineSearchDecreasesTheRosenbrockValueMonotonicallyAndSolvesIt()
    {
        var (start, solution, value, gradient) = Rosenbrock();
        Tensor F(Params q) { var x = q["~/x"]; var a = x[0]; var b = x[1]; return (torch.tensor(1.0, float64) - a).square() + (b - a.square()).square().mul(torch.tensor(100.0, float64)); }
        var opt = Optimizers.Lbfgs(F);
        var p = Params.Create([new("~/x", torch.tensor(start, float64))]);
        var s = opt.Init(p);
        var previous = double.PositiveInfinity;
        for (var step = 0; step < 100; step++)
        {
            var x = p["~/x"].data<double>().ToArray();
            var f = value(x);
            Assert.True(f <= previous, $"step {step}: {f} > {previous}");
            previous = f;
            Params u;
            (u, s) = opt.Update(Params.Create([new("~/x", torch.tensor(gradient(x), float64))]), s, p);
            p = p.ApplyUpdates(u);
        }
        Assert.True(p["~/x"].allclose(torch.tensor(solution, float64), rtol: 0, atol: 1e-6), $"ended at [{string.Join(", ", p["~/x"].data<double>().ToArray())}]");
    }

    [Fact]
    public void BadArgumentsAreClearErrors()
    {
        Assert.Throws<OptimizerConfigurationException>(() => Optimizers.ScaleByBacktrackingLinesearch(SumOfSquares, -1));
        var ls = Optimizers.ScaleByBacktrackingLinesearch(q => q["~/x"], 5);
        var p = Params.Create([new("~/x", torch.ones(2, float64))]);
        Assert.Contains("parameters", Assert.ThrowsAny<MiniHaikuException>(() => ls.Update(p, ls.Init(p))).Message);
    }
}
