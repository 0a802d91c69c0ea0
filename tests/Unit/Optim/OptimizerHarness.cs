using MiniHaiku.Optim;

namespace MiniHaiku.Tests.Optim;

/// <summary>
/// An independent float64 reference of an update rule: given the step (from 1), the gradients and the
/// parameters as plain arrays (one per tensor, in key order), returns the updates to add.
/// </summary>
internal delegate double[][] ReferenceRule(int step, double[][] grads, double[][] parameters);

/// <summary>Shared problems and checks for the optimizer tests.</summary>
internal static class OptimizerHarness
{
    private static readonly Tensor X = torch.linspace(-1, 1, 24, float64).reshape(8, 3);
    private static readonly Tensor Y = torch.sin(torch.linspace(0, 3, 16, float64)).reshape(8, 2);

    /// <summary>The regression problem's starting parameters (w [3, 2], b [2]).</summary>
    internal static Params Initial()
    {
        using var g = new torch.Generator(11);
        return Params.Create([
            new("~/lin/w", torch.randn([3, 2], float64, generator: g)),
            new("~/lin/b", torch.randn([2], float64, generator: g)),
        ]);
    }

    /// <summary>Mean squared error of a linear map.</summary>
    internal static Tensor Loss(Params q) => (X.matmul(q["~/lin/w"]) + q["~/lin/b"] - Y).square().mean();

    internal static double[][] Arrays(Params p) => p.Values.Select(t => t.data<double>().ToArray()).ToArray();

    /// <summary>
    /// Runs <paramref name="ours"/> on the regression problem for <paramref name="steps"/> steps and checks that
    /// every update equals <paramref name="reference"/>'s (fed the same gradients and parameters) to 1e-9.
    /// </summary>
    internal static void AssertMatchesReference(GradientTransformation ours, ReferenceRule reference, int steps = 100, double tolerance = 1e-9)
    {
        var p = Initial();
        var state = ours.Init(p);
        var valueAndGrad = Grad.ValueAndGrad(Loss);
        for (var step = 1; step <= steps; step++)
        {
            var (_, grads) = valueAndGrad(p);
            var expected = reference(step, Arrays(grads), Arrays(p));
            Params updates;
            (updates, state) = ours.Update(grads, state, p);
            var actual = Arrays(updates);
            for (var i = 0; i < expected.Length; i++)
                for (var j = 0; j < expected[i].Length; j++)
                    Assert.True(Math.Abs(expected[i][j] - actual[i][j]) <= tolerance * (1 + Math.Abs(expected[i][j])),
                        $"step {step}, tensor {i}, element {j}: expected {expected[i][j]:R}, got {actual[i][j]:R}");
            p = p.ApplyUpdates(updates);
        }
        Assert.False(p["~/lin/w"].allclose(Initial()["~/lin/w"], rtol: 1e-3, atol: 1e-3), "the parameters did not move");
    }

    /// <summary>Optax's alias-test parabola: sum((x - [1, -1, 1])²) from [-1, 10, 1].</summary>
    internal static (double[] Start, double[] Solution, Func<double[], double> Value, Func<double[], double[]> Gradient) Parabola() =>
        ([-1.0, 10.0, 1.0], [1.0, -1.0, 1.0],
         x => Enumerable.Range(0, 3).Sum(i => Math.Pow(x[i] - new[] { 1.0, -1.0, 1.0 }[i], 2)),
         x => Enumerable.Range(0, 3).Select(i => 2 * (x[i] - new[] { 1.0, -1.0, 1.0 }[i])).ToArray());

    /// <summary>Optax's alias-test Rosenbrock function (a = 1, b = 100) from [0, 0].</summary>
    internal static (double[] Start, double[] Solution, Func<double[], double> Value, Func<double[], double[]> Gradient) Rosenbrock() =>
        ([0.0, 0.0], [1.0, 1.0],
         x => Math.Pow(1 - x[0], 2) + 100 * Math.Pow(x[1] - x[0] * x[0], 2),
         x => [-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] * x[0]), 200 * (x[1] - x[0] * x[0])]);

    /// <summary>
    /// Optax's alias test: from the start, at most 10,000 steps (stopping early once two checks 250
    /// steps apart are both within tolerance) end within 3e-2 of the solution.
    /// </summary>
    internal static void AssertConverges(Func<Func<Params, Tensor>, GradientTransformation> makeOptimizer,
        (double[] Start, double[] Solution, Func<double[], double> Value, Func<double[], double[]> Gradient) target, int maxSteps = 10_000)
    {
        const string Key = "~/x";
        var solution = torch.tensor(target.Solution, float64);
        // The objective as a differentiable tensor function (for line searches and Polyak steps).
        Tensor Objective(Params q)
        {
            var v = q[Key];
            if (target.Start.Length == 3) return (v - solution).square().sum();
            var (a, b) = (v[0], v[1]);
            return (torch.tensor(1.0, float64) - a).square() + (b - a.square()).square().mul(torch.tensor(100.0, float64));
        }
        var objective = (Func<Params, Tensor>)Objective;
        var opt = makeOptimizer(objective);
        var p = Params.Create([new(Key, torch.tensor(target.Start, float64))]);
        var state = opt.Init(p);
        var closeChecks = 0;
        double[] x = target.Start;
        for (var step = 1; step <= maxSteps; step++)
        {
            using (var scope = torch.NewDisposeScope())
            {
                var grads = Params.Create([new(Key, torch.tensor(target.Gradient(x), float64))]);
                Params updates;
                (updates, state) = opt.Update(grads, state, p);
                p = p.ApplyUpdates(updates);
                scope.MoveToOuter(p.Values.Concat(state.Tensors()).ToArray());
            }
            x = p[Key].data<double>().ToArray();
            if (step % 250 == 0)
            {
                closeChecks = IsClose(x, target.Solution) ? closeChecks + 1 : 0;
                if (closeChecks == 2) return;
            }
        }
        Assert.True(IsClose(x, target.Solution), $"ended at [{string.Join(", ", x)}], expected [{string.Join(", ", target.Solution)}]");
    }

    private static bool IsClose(double[] x, double[] y) => x.Zip(y).All(t => Math.Abs(t.First - t.Second) <= 3e-2 + 3e-2 * Math.Abs(t.Second));

    /// <summary>Elementwise helpers for references.</summary>
    internal static double[][] Zeros(double[][] like) => like.Select(a => new double[a.Length]).ToArray();

    internal static double[][] Full(double[][] like, double v) => like.Select(a => Enumerable.Repeat(v, a.Length).ToArray()).ToArray();

    internal static double Norm(double[] a) => Math.Sqrt(a.Sum(v => v * v));
}
