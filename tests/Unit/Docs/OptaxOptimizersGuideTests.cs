using MiniHaiku.Optim;

namespace MiniHaiku.Tests.Docs;

/// <summary>The code sample of docs/optax-optimizers.md, compiled and run; the page must quote it verbatim.</summary>
public sealed class OptaxOptimizersGuideTests
{
    [Fact]
    public void SampleFitsTheProblem()
    {
        // begin-sample
        // A small least-squares problem over named parameters (exactly solvable).
        var x = torch.linspace(-1, 1, 12, float64).reshape(4, 3);
        var y = x.matmul(torch.tensor(new[] { 1.0, -2.0, 0.5 }, float64)) + 0.3;
        Tensor Loss(Params q) => (x.matmul(q["~/w"]) + q["~/b"] - y).square().mean();
        var parameters = Params.Create([new("~/w", torch.zeros([3], float64)), new("~/b", torch.zeros([], float64))]);

        // AdamW with Optax's defaults, decaying the weights but not the bias.
        var opt = Optimizers.AdamW(1e-2, mask: path => path.EndsWith("/w"));
        var state = opt.Init(parameters);
        var valueAndGrad = Grad.ValueAndGrad(Loss);
        for (var step = 0; step < 500; step++)
        {
            var (loss, grads) = valueAndGrad(parameters);
            (var updates, state) = opt.Update(grads, state, parameters); // pass the parameters: weight decay reads them
            parameters = parameters.ApplyUpdates(updates);
        }
        // end-sample
        var initial = Loss(Params.Create([new("~/w", torch.zeros([3], float64)), new("~/b", torch.zeros([], float64))])).item<double>();
        Assert.True(Loss(parameters).item<double>() < 1e-3 * initial, $"loss {Loss(parameters).item<double>()} from {initial}");
        Assert.Equal(500, state.Inner[0].Count);
    }

    [Fact]
    public void PageQuotesTheSampleVerbatim()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "MiniHaiku.sln"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found");
        var source = File.ReadAllText(Path.Combine(root, "tests", "Unit", "Docs", "OptaxOptimizersGuideTests.cs"));
        var begin = source.IndexOf("// begin-sample", StringComparison.Ordinal);
        var end = source.IndexOf("// end-sample", begin + 1, StringComparison.Ordinal);
        var lines = source[begin..end].Split('\n').Skip(1).Select(l => l.TrimEnd('\r')).ToList();
        var sample = string.Join("\n", lines.Select(l => l.Length >= 8 ? l[8..] : l.TrimStart())).TrimEnd();
        var page = File.ReadAllText(Path.Combine(root, "docs", "optax-optimizers.md")).Replace("\r\n", "\n");
        Assert.Contains(sample, page);
    }
}
