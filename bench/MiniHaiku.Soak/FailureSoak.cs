using System.Globalization;
using MiniHaiku.Optim;
using MiniHaiku.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Soak;

/// <summary>
/// Mode <c>failures</c>: many <c>Trainer.Fit</c> runs that fail after a few steps (the progress callback throws),
/// on a 1.6 M-parameter MLP with Adam, printing live tensors and RSS: a failed Fit must leave nothing behind.
/// </summary>
internal static class FailureSoak
{
    private sealed class FailingProgress(int failAt) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value)
        {
            if (value.Step >= failAt) throw new InvalidOperationException("the display went away");
        }
    }

    internal static int Run(int failures, int every, Func<long> rssKb)
    {
        const int batchSize = 64, inputs = 784;
        var batches = new List<(Tensor X, Tensor Y)>();
        using (var g = new torch.Generator(11))
            for (var i = 0; i < 4; i++)
                batches.Add((torch.randn([batchSize, inputs], generator: g), torch.randint(0, 10, [batchSize], generator: g)));
        var model = Hk.Transform((Tensor x) => from m in Mlp.Create([1024, 768, 10]) from y in m.Call(x) select y);
        var trainer = Trainer.ForModel(model, ((Tensor X, Tensor Y) b, bool _) => b.X,
            (Tensor logits, (Tensor X, Tensor Y) b) => torch.nn.functional.cross_entropy(logits, b.Y), Optimizers.Adam(1e-3));
        var parameters = model.Init(0, batches[0].X);
        var start = trainer.Init(parameters, seed: 1);
        Console.WriteLine($"Failing fits: MLP {inputs}-1024-768-10 ({parameters.ElementCount:N0} parameters), Adam, each Fit fails at step 3");
        Console.WriteLine($"{"failures",8} {"RSS MB",8} {"live tensors",13}");
        var first = torch.Tensor.TotalCount;
        Console.WriteLine($"{0,8} {rssKb() / 1024.0,8:F1} {first,13}");
        for (var i = 1; i <= failures; i++)
        {
            try
            {
                trainer.Fit(start, batches, new FailingProgress(3));
                Console.Error.WriteLine("Fit did not fail");
                return 1;
            }
            catch (InvalidOperationException)
            {
            }
            if (i % every == 0) Console.WriteLine($"{i,8} {rssKb() / 1024.0,8:F1} {torch.Tensor.TotalCount,13}");
        }
        var grew = torch.Tensor.TotalCount - first;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"live tensors after {failures} failed fits: {grew:+0;-0;+0} ({(double)grew / failures:F1} per failure)"));
        return grew == 0 ? 0 : 1;
    }
}
