using MiniHaiku.Layers;
using MiniHaiku.Optim;

namespace MiniHaiku.Tests.Docs;

/// <summary>The code sample of docs/optax.md, compiled and run; the guide must quote it verbatim.</summary>
public sealed class OptaxGuideTests
{
    [Fact]
    public void GuideSampleRunsAndLearns()
    {
        Run(out var firstLoss, out var loss, out var learningRate);
        Assert.Equal(Math.Log(2), firstLoss, 12); // zero parameters: every probability is ½
        Assert.True(loss < 0.5 * firstLoss, $"loss {firstLoss} -> {loss}");
        Assert.Equal(0.1, learningRate);
    }

    private static void Run(out double firstLossOut, out double lossOut, out double learningRate)
    {
        // begin-sample
        // Parameters and a loss; Optax-named losses return per-example values: take the mean yourself.
        using var gen = new torch.Generator(0);
        var x = torch.randn([64, 3], float64, generator: gen);
        var y = (x.sum(1, keepdim: true) > 0).to_type(float64);
        var parameters = Params.Create([
            new("~/linear/w", torch.zeros([3, 1], float64)),
            new("~/linear/b", torch.zeros([1], float64)),
        ]);
        var valueAndGrad = Grad.ValueAndGrad(p =>
            Losses.SigmoidBinaryCrossEntropy(x.matmul(p["~/linear/w"]) + p["~/linear/b"], y).mean());

        // A learning rate held in the state, NaN protection, gradient accumulation over 2 mini-steps,
        // and a different optimizer per parameter group (a one-cycle schedule for the biases).
        var optimizer = Optimizers.InjectHyperparams(
            h => Optimizers.ApplyIfFinite(
                Optimizers.MultiSteps(
                    Optimizers.MultiTransform(
                        new Dictionary<string, GradientTransformation>
                        {
                            ["weights"] = Optimizers.Chain(Optimizers.ClipByBlockRms(1.0), Optimizers.Sgd(h["learning_rate"], momentum: 0.9)),
                            ["biases"] = Optimizers.Sgd(Schedule.CosineOnecycle(transitionSteps: 50, peakValue: 0.5)),
                        },
                        path => path.EndsWith("/b", StringComparison.Ordinal) ? "biases" : "weights"),
                    everyKSchedule: 2),
                maxConsecutiveErrors: 3),
            new Dictionary<string, double> { ["learning_rate"] = 0.5 });

        var state = optimizer.Init(parameters);
        var firstLoss = 0.0;
        var loss = 0.0;
        for (var step = 0; step < 100; step++)
        {
            var (value, grads) = valueAndGrad(parameters);
            loss = value.item<double>();
            if (step == 0) firstLoss = loss;
            if (step == 60) state = state.WithNumber("learning_rate", 0.1); // takes effect at the next update
            (var updates, state) = optimizer.Update(grads, state, parameters);
            parameters = parameters.ApplyUpdates(updates);
        }
        Console.WriteLine($"loss {firstLoss:F3} -> {loss:F3}, parameter norm {parameters.Norm().item<double>():F2}");
        // end-sample
        firstLossOut = firstLoss;
        lossOut = loss;
        learningRate = state.Number("learning_rate");
    }

    [Fact]
    public void GuideQuotesTheSampleVerbatim()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "MiniHaiku.sln"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found");
        var source = File.ReadAllText(Path.Combine(root, "tests", "Unit", "Docs", "OptaxGuideTests.cs")).Replace("\r\n", "\n");
        var begin = source.IndexOf("// begin-sample", StringComparison.Ordinal);
        var end = source.IndexOf("        // end-sample", begin + 1, StringComparison.Ordinal);
        var lines = source[begin..end].Split('\n').Skip(1);
        var sample = string.Join("\n", lines.Select(l => l.Length >= 8 ? l[8..] : l.TrimStart())).TrimEnd();
        var guide = File.ReadAllText(Path.Combine(root, "docs", "optax.md")).Replace("\r\n", "\n");
        Assert.Contains(sample, guide);
    }
}
