using MiniHaiku.Optim;
using static MiniHaiku.Tests.Optim.OptimizerHarness;

namespace MiniHaiku.Tests.Optim;

/// <summary>
/// Optimizers without a torch.optim twin, checked update by update against an independent float64
/// implementation of their published rule (plain arrays; tensors in key order: b [2], then w [3, 2] row-major).
/// </summary>
public class ReferenceRuleTests
{
    private static double[][] Map(double[][] a, Func<int, int, double> f) => a.Select((x, i) => x.Select((_, j) => f(i, j)).ToArray()).ToArray();

    [Fact]
    public void AdamWithEpsRootFollowsTheRule()
    {
        double b1 = 0.9, b2 = 0.99, eps = 1e-8, epsRoot = 1e-4, lr = 0.05;
        double[][]? m = null, v = null;
        AssertMatchesReference(Optimizers.Adam(lr, b1, b2, eps, epsRoot), (t, g, _) =>
        {
            m ??= Zeros(g); v ??= Zeros(g);
            m = Map(g, (i, j) => b1 * m[i][j] + (1 - b1) * g[i][j]);
            v = Map(g, (i, j) => b2 * v[i][j] + (1 - b2) * g[i][j] * g[i][j]);
            return Map(g, (i, j) => -lr * (m[i][j] / (1 - Math.Pow(b1, t))) / (Math.Sqrt(v[i][j] / (1 - Math.Pow(b2, t)) + epsRoot) + eps));
        });
    }

    [Fact]
    public void NAdamWDecaysOnlyTheMaskedParameters()
    {
        double b1 = 0.9, b2 = 0.999, eps = 1e-8, lr = 0.02, wd = 0.1;
        double[][]? m = null, v = null;
        AssertMatchesReference(Optimizers.NAdamW(lr, weightDecay: wd, mask: path => path.EndsWith("/w", StringComparison.Ordinal)), (t, g, p) =>
        {
            m ??= Zeros(g); v ??= Zeros(g);
            m = Map(g, (i, j) => b1 * m[i][j] + (1 - b1) * g[i][j]);
            v = Map(g, (i, j) => b2 * v[i][j] + (1 - b2) * g[i][j] * g[i][j]);
            return Map(g, (i, j) =>
            {
                var mHat = b1 * m[i][j] / (1 - Math.Pow(b1, t + 1)) + (1 - b1) * g[i][j] / (1 - Math.Pow(b1, t));
                var u = mHat / (Math.Sqrt(v[i][j] / (1 - Math.Pow(b2, t))) + eps);
                return -lr * (u + (i == 1 ? wd * p[i][j] : 0));
            });
        });
    }

    [Fact]
    public void AmsGradWithOptaxBiasCorrectionFollowsTheRule()
    {
        double b1 = 0.9, b2 = 0.99, eps = 1e-8, lr = 0.05;
        double[][]? m = null, v = null, vMax = null;
        AssertMatchesReference(Optimizers.AmsGrad(lr, b1, b2), (t, g, _) =>
        {
            m ??= Zeros(g); v ??= Zeros(g); vMax ??= Zeros(g);
            m = Map(g, (i, j) => b1 * m[i][j] + (1 - b1) * g[i][j]);
            v = Map(g, (i, j) => b2 * v[i][j] + (1 - b2) * g[i][j] * g[i][j]);
            vMax = Map(g, (i, j) => Math.Max(vMax[i][j], v[i][j] / (1 - Math.Pow(b2, t))));
            return Map(g, (i, j) => -lr * m[i][j] / (1 - Math.Pow(b1, t)) / (Math.Sqrt(vMax[i][j]) + eps));
        });
    }

    [Fact]
    public void AdamaxWFollowsTheRule()
    {
        double b1 = 0.9, b2 = 0.999, eps = 1e-8, lr = 0.02, wd = 1e-4;
        double[][]? m = null, u = null;
        AssertMatchesReference(Optimizers.AdamaxW(lr), (t, g, p) =>
        {
            m ??= Zeros(g); u ??= Zeros(g);
            m = Map(g, (i, j) => b1 * m[i][j] + (1 - b1) * g[i][j]);
            u = Map(g, (i, j) => Math.Max(Math.Abs(g[i][j]) + eps, b2 * u[i][j]));
            return Map(g, (i, j) => -lr * (m[i][j] / (1 - Math.Pow(b1, t)) / u[i][j] + wd * p[i][j]));
        });
    }

    [Fact]
    public void RmsPropOptaxDefaultsFollowTheRule()
    {
        // Optax: ν from initialScale, eps inside the root, the learning rate, then (Nesterov) momentum.
        double decay = 0.9, eps = 1e-8, lr = 0.01, init = 0.5, mom = 0.8;
        double[][]? nu = null, trace = null;
        AssertMatchesReference(Optimizers.RmsProp(lr, initialScale: init, momentum: mom, nesterov: true), (_, g, _) =>
        {
            nu ??= Full(g, init); trace ??= Zeros(g);
            nu = Map(g, (i, j) => decay * nu[i][j] + (1 - decay) * g[i][j] * g[i][j]);
            var scaled = Map(g, (i, j) => -lr * g[i][j] / Math.Sqrt(nu[i][j] + eps));
            trace = Map(g, (i, j) => scaled[i][j] + mom * trace[i][j]);
            return Map(g, (i, j) => scaled[i][j] + mom * trace[i][j]);
        });
    }

    [Fact]
    public void RmsPropCenteredWithBiasCorrectionFollowsTheRule()
    {
        double decay = 0.95, eps = 1e-6, lr = 0.01;
        double[][]? nu = null, mu = null;
        AssertMatchesReference(Optimizers.RmsProp(lr, decay, eps, centered: true, biasCorrection: true), (t, g, _) =>
        {
            nu ??= Zeros(g); mu ??= Zeros(g);
            nu = Map(g, (i, j) => decay * nu[i][j] + (1 - decay) * g[i][j] * g[i][j]);
            mu = Map(g, (i, j) => decay * mu[i][j] + (1 - decay) * g[i][j]);
            var c = 1 - Math.Pow(decay, t);
            return Map(g, (i, j) => -lr * g[i][j] / Math.Sqrt(nu[i][j] / c - Math.Pow(mu[i][j] / c, 2) + eps));
        });
    }

    [Fact]
    public void AdagradOptaxDefaultsFollowTheRule()
    {
        double lr = 0.1, init = 0.1, eps = 1e-7;
        double[][]? s = null;
        AssertMatchesReference(Optimizers.Adagrad(lr), (_, g, _) =>
        {
            s ??= Full(g, init);
            s = Map(g, (i, j) => s[i][j] + g[i][j] * g[i][j]);
            return Map(g, (i, j) => -lr * g[i][j] / Math.Sqrt(s[i][j] + eps));
        });
    }

    [Fact]
    public void AdaBeliefFollowsTheRule()
    {
        double b1 = 0.9, b2 = 0.999, eps = 1e-16, epsRoot = 1e-16, lr = 0.01, wd = 1e-2;
        double[][]? m = null, s = null;
        AssertMatchesReference(Optimizers.AdaBelief(lr, weightDecay: wd), (t, g, p) =>
        {
            m ??= Zeros(g); s ??= Zeros(g);
            m = Map(g, (i, j) => b1 * m[i][j] + (1 - b1) * g[i][j]);
            s = Map(g, (i, j) => b2 * s[i][j] + (1 - b2) * Math.Pow(g[i][j] - m[i][j], 2) + epsRoot);
            return Map(g, (i, j) => -lr * (m[i][j] / (1 - Math.Pow(b1, t)) / (Math.Sqrt(s[i][j] / (1 - Math.Pow(b2, t))) + eps) + wd * p[i][j]));
        });
    }

    [Fact]
    public void YogiFollowsTheRule()
    {
        double b1 = 0.9, b2 = 0.999, eps = 1e-3, lr = 0.05, init = 1e-6;
        double[][]? m = null, v = null;
        AssertMatchesReference(Optimizers.Yogi(lr), (t, g, _) =>
        {
            m ??= Full(g, init); v ??= Full(g, init);
            m = Map(g, (i, j) => b1 * m[i][j] + (1 - b1) * g[i][j]);
            v = Map(g, (i, j) => v[i][j] - (1 - b2) * Math.Sign(v[i][j] - g[i][j] * g[i][j]) * g[i][j] * g[i][j]);
            return Map(g, (i, j) => -lr * m[i][j] / (1 - Math.Pow(b1, t)) / (Math.Sqrt(v[i][j] / (1 - Math.Pow(b2, t))) + eps));
        });
    }

    [Fact]
    public void LionFollowsTheRule()
    {
        double b1 = 0.9, b2 = 0.99, lr = 0.01, wd = 1e-3;
        double[][]? m = null;
        AssertMatchesReference(Optimizers.Lion(lr), (_, g, p) =>
        {
            m ??= Zeros(g);
            var u = Map(g, (i, j) => Math.Sign((1 - b1) * g[i][j] + b1 * m[i][j]) + wd * p[i][j]);
            m = Map(g, (i, j) => b2 * m[i][j] + (1 - b2) * g[i][j]);
            return Map(u, (i, j) => -lr * u[i][j]);
        });
    }

    [Fact]
    public void AdanFollowsTheRule()
    {
        double b1 = 0.98, b2 = 0.92, b3 = 0.99, eps = 1e-8, epsRoot = 1e-8, lr = 0.01;
        double[][]? m = null, v = null, n = null, prev = null;
        AssertMatchesReference(Optimizers.Adan(lr), (t, g, _) =>
        {
            m ??= Zeros(g); v ??= Zeros(g); n ??= Zeros(g);
            var diff = prev is null ? Zeros(g) : Map(g, (i, j) => g[i][j] - prev[i][j]);
            m = Map(g, (i, j) => b1 * m[i][j] + (1 - b1) * g[i][j]);
            v = Map(g, (i, j) => b2 * v[i][j] + (1 - b2) * diff[i][j]);
            n = Map(g, (i, j) => b3 * n[i][j] + (1 - b3) * Math.Pow(g[i][j] + (1 - b2) * diff[i][j], 2));
            prev = g;
            return Map(g, (i, j) =>
                -lr * (m[i][j] / (1 - Math.Pow(b1, t)) + (1 - b2) * v[i][j] / (1 - Math.Pow(b2, t)))
                / (Math.Sqrt(n[i][j] / (1 - Math.Pow(b3, t)) + epsRoot) + eps));
        });
    }

    [Fact]
    public void LambFollowsTheRule()
    {
        double b1 = 0.9, b2 = 0.999, eps = 1e-6, lr = 0.01, wd = 0.01;
        double[][]? m = null, v = null;
        AssertMatchesReference(Optimizers.Lamb(lr, weightDecay: wd), (t, g, p) =>
        {
            m ??= Zeros(g); v ??= Zeros(g);
            m = Map(g, (i, j) => b1 * m[i][j] + (1 - b1) * g[i][j]);
            v = Map(g, (i, j) => b2 * v[i][j] + (1 - b2) * g[i][j] * g[i][j]);
            var r = Map(g, (i, j) => m[i][j] / (1 - Math.Pow(b1, t)) / (Math.Sqrt(v[i][j] / (1 - Math.Pow(b2, t))) + eps) + wd * p[i][j]);
            return r.Select((ri, i) =>
            {
                var (pn, rn) = (Norm(p[i]), Norm(ri));
                var ratio = pn == 0 || rn == 0 ? 1 : pn / rn;
                return ri.Select(x => -lr * ratio * x).ToArray();
            }).ToArray();
        });
    }

    [Fact]
    public void LarsFollowsTheRule()
    {
        double lr = 0.5, wd = 1e-3, tc = 0.01, mom = 0.9;
        double[][]? trace = null;
        AssertMatchesReference(Optimizers.Lars(lr, weightDecay: wd, trustCoefficient: tc, nesterov: true), (_, g, p) =>
        {
            trace ??= Zeros(g);
            var d = Map(g, (i, j) => g[i][j] + wd * p[i][j]);
            var scaled = d.Select((di, i) =>
            {
                var (pn, dn) = (Norm(p[i]), Norm(di));
                var ratio = pn == 0 || dn == 0 ? 1 : tc * pn / dn;
                return di.Select(x => -lr * ratio * x).ToArray();
            }).ToArray();
            trace = Map(g, (i, j) => scaled[i][j] + mom * trace[i][j]);
            return Map(g, (i, j) => scaled[i][j] + mom * trace[i][j]);
        });
    }

    [Fact]
    public void FromageFollowsTheRule()
    {
        const double lr = 0.05;
        var mult = 1 / Math.Sqrt(1 + lr * lr);
        AssertMatchesReference(Optimizers.Fromage(lr), (_, g, p) => g.Select((gi, i) =>
        {
            var ratio = Math.Max(Norm(p[i]), 1e-6) / Math.Max(Norm(gi), 1e-6);
            // p ← mult · (p - lr · ratio · g), as an update.
            return gi.Select((x, j) => mult * (p[i][j] - lr * ratio * x) - p[i][j]).ToArray();
        }).ToArray());
    }

    [Fact]
    public void NovogradFollowsTheRule()
    {
        double b1 = 0.9, b2 = 0.25, eps = 1e-6, lr = 0.01, wd = 1e-3;
        double[]? nu = null;
        double[][]? m = null;
        AssertMatchesReference(Optimizers.Novograd(lr, weightDecay: wd), (t, g, p) =>
        {
            var sq = g.Select(gi => gi.Sum(x => x * x)).ToArray();
            nu = t == 1 ? sq : nu!.Select((n, i) => b2 * n + (1 - b2) * sq[i]).ToArray();
            var add = Map(g, (i, j) => g[i][j] / (Math.Sqrt(nu[i]) + eps) + wd * p[i][j]);
            m = t == 1 ? add : Map(g, (i, j) => b1 * m![i][j] + add[i][j]);
            return Map(g, (i, j) => -lr * m[i][j]);
        });
    }

    [Fact]
    public void SignSgdFollowsTheRule() =>
        AssertMatchesReference(Optimizers.SignSgd(0.01), (_, g, _) => Map(g, (i, j) => -0.01 * Math.Sign(g[i][j])));

    [Fact]
    public void PolyakSgdFollowsTheRule()
    {
        const double maxLr = 0.5, fMin = 0.01;
        AssertMatchesReference(Optimizers.PolyakSgd(Loss, maxLearningRate: maxLr, fMin: fMin), (_, g, p) =>
        {
            var pp = Params.Create([new("~/lin/b", torch.tensor(p[0], float64)), new("~/lin/w", torch.tensor(p[1], float64).reshape(3, 2))]);
            var f = Loss(pp).item<double>();
            var sq = g.Sum(gi => gi.Sum(x => x * x));
            var step = sq <= 2.220446049250313e-16 ? 0 : Math.Min((f - fMin) / sq, maxLr); // Optax: no step at a vanishing gradient
            return Map(g, (i, j) => -step * g[i][j]);
        });
    }

    [Fact]
    public void Sm3FollowsTheRule()
    {
        double lr = 0.1, b1 = 0.9, eps = 1e-8;
        double[]? accB = null, rowW = null, colW = null;
        double[][]? nu = null;
        AssertMatchesReference(Optimizers.Sm3(lr), (_, g, _) =>
        {
            accB ??= new double[2]; rowW ??= new double[3]; colW ??= new double[2]; nu ??= Zeros(g);
            // b (rank 1): its own accumulator. w [3, 2]: min of the row and column accumulators.
            var newB = g[0].Select((x, j) => x * x + accB[j]).ToArray();
            var newW = g[1].Select((x, k) => x * x + Math.Min(rowW[k / 2], colW[k % 2])).ToArray();
            double Inv(double a) => a > 0 ? 1 / Math.Sqrt(a + eps) : 0;
            var direction = new[] { g[0].Select((x, j) => x * Inv(newB[j])).ToArray(), g[1].Select((x, k) => x * Inv(newW[k])).ToArray() };
            nu = Map(g, (i, j) => b1 * nu[i][j] + (1 - b1) * direction[i][j]);
            accB = newB;
            rowW = Enumerable.Range(0, 3).Select(r => Math.Max(newW[2 * r], newW[2 * r + 1])).ToArray();
            colW = Enumerable.Range(0, 2).Select(c => Enumerable.Range(0, 3).Max(r => newW[2 * r + c])).ToArray();
            return Map(g, (i, j) => -lr * nu[i][j]);
        });
    }

    [Theory]
    [InlineData(128)] // nothing factored
    [InlineData(2)]   // w [3, 2] factored
    public void AdafactorFollowsTheRule(int minDimSizeToFactor)
    {
        double lr = 0.05, decayRate = 0.8, eps = 1e-30, clip = 1.0, mom = 0.5;
        double[][]? v = null, ema = null;
        double[]? vRow = null, vCol = null;
        AssertMatchesReference(Optimizers.Adafactor(lr, minDimSizeToFactor, momentum: mom), (t, g, p) =>
        {
            v ??= Zeros(g); ema ??= Zeros(g); vRow ??= new double[2]; vCol ??= new double[3];
            var d = 1 - Math.Pow(t, -decayRate);
            var u = new double[2][];
            v[0] = v[0].Select((x, j) => d * x + (1 - d) * (g[0][j] * g[0][j] + eps)).ToArray();
            u[0] = g[0].Select((x, j) => x / Math.Sqrt(v[0][j])).ToArray();
            if (minDimSizeToFactor <= 2)
            {
                // Largest axis 0 (3 rows), second-largest axis 1 (2 columns).
                var sq = g[1].Select(x => x * x + eps).ToArray();
                vRow = Enumerable.Range(0, 2).Select(c => d * vRow[c] + (1 - d) * Enumerable.Range(0, 3).Average(r => sq[2 * r + c])).ToArray();
                vCol = Enumerable.Range(0, 3).Select(r => d * vCol[r] + (1 - d) * (sq[2 * r] + sq[2 * r + 1]) / 2).ToArray();
                var rowMean = vRow.Average();
                u[1] = g[1].Select((x, k) => x / Math.Sqrt(vRow[k % 2] / rowMean) / Math.Sqrt(vCol[k / 2])).ToArray();
            }
            else
            {
                v[1] = v[1].Select((x, j) => d * x + (1 - d) * (g[1][j] * g[1][j] + eps)).ToArray();
                u[1] = g[1].Select((x, j) => x / Math.Sqrt(v[1][j])).ToArray();
            }
            for (var i = 0; i < 2; i++)
            {
                var rms = Math.Sqrt(u[i].Average(x => x * x));
                var clipDenominator = Math.Max(1, rms / clip);
                var pRms = Math.Max(Math.Sqrt(p[i].Average(x => x * x)), 1e-3);
                u[i] = u[i].Select(x => x / clipDenominator * lr * pRms).ToArray();
            }
            ema = Map(u, (i, j) => mom * ema[i][j] + (1 - mom) * u[i][j]);
            return Map(u, (i, j) => -ema[i][j]);
        });
    }

    [Fact]
    public void LbfgsFollowsTheTwoLoopRecursion()
    {
        const int memory = 3;
        const double lr = 0.5;
        var sHistory = new List<double[]>();
        var yHistory = new List<double[]>();
        double[]? prevX = null, prevG = null;
        AssertMatchesReference(Optimizers.Lbfgs(lr, memorySize: memory), (_, g, p) =>
        {
            var x = p.SelectMany(a => a).ToArray();
            var gf = g.SelectMany(a => a).ToArray();
            double Dot(double[] a, double[] b) => a.Zip(b).Sum(z => z.First * z.Second);
            double gamma;
            if (prevX is null) gamma = Math.Min(1, 1 / Norm(gf));
            else
            {
                var s = x.Zip(prevX).Select(z => z.First - z.Second).ToArray();
                var y = gf.Zip(prevG!).Select(z => z.First - z.Second).ToArray();
                sHistory.Add(s); yHistory.Add(y);
                if (sHistory.Count > memory) { sHistory.RemoveAt(0); yHistory.RemoveAt(0); }
                gamma = Dot(s, y) / Dot(y, y);
            }
            prevX = x; prevG = gf;
            var q = (double[])gf.Clone();
            var alphas = new double[sHistory.Count];
            for (var k = sHistory.Count - 1; k >= 0; k--)
            {
                alphas[k] = Dot(sHistory[k], q) / Dot(yHistory[k], sHistory[k]);
                for (var e = 0; e < q.Length; e++) q[e] -= alphas[k] * yHistory[k][e];
            }
            for (var e = 0; e < q.Length; e++) q[e] *= gamma;
            for (var k = 0; k < sHistory.Count; k++)
            {
                var beta = Dot(yHistory[k], q) / Dot(yHistory[k], sHistory[k]);
                for (var e = 0; e < q.Length; e++) q[e] += (alphas[k] - beta) * sHistory[k][e];
            }
            return [q.Take(2).Select(v => -lr * v).ToArray(), q.Skip(2).Select(v => -lr * v).ToArray()];
        }, steps: 30, tolerance: 1e-7);
    }
}
