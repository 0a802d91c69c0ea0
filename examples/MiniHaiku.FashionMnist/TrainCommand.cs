using System.Diagnostics;
using MiniHaiku.Data;
using MiniHaiku.Layers;
using MiniHaiku.Optim;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.FashionMnistExample;

/// <summary><c>train</c>: trains a model, evaluating it on the test set after every epoch.</summary>
public sealed class TrainCommand : Command<TrainSettings>
{
    /// <inheritdoc />
    public override int Execute(CommandContext context, TrainSettings settings, CancellationToken cancellationToken)
    {
        if (settings.Threads is { } threads) torch.set_num_threads(threads);
        var kind = settings.Kind;
        var outDir = settings.Out ?? Path.Combine("runs", kind.Name());
        Directory.CreateDirectory(outDir);

        var (train, test, origin) = DataSource.Load(settings.Data);
        using var trainData = train;
        using var testData = test;
        AnsiConsole.MarkupLineInterpolated($"Data: {origin}");

        var model = Models.Create(kind);
        var key = RngKey.FromSeed(settings.Seed);
        Params parameters, state;
        using (var example = trainData.Images.narrow(0, 0, Math.Min(2, trainData.Count)))
            (parameters, state) = model.Init(key.Fold("init"), new ModelInput(example, IsTraining: true));
        var optimizer = Optimizers.Adam(settings.LearningRate);
        var optState = optimizer.Init(parameters);
        var parameterCount = parameters.ElementCount;
        AnsiConsole.MarkupLineInterpolated(
            $"Model: {Models.Describe(kind)} — [bold]{parameterCount:N0}[/] parameters; Adam lr {settings.LearningRate}, batch {settings.BatchSize}, {settings.Epochs} epochs, seed {settings.Seed}, {torch.get_num_threads()} threads");

        var stepsPerEpoch = (trainData.Count + settings.BatchSize - 1) / settings.BatchSize;
        var progress = new TrainingProgress(settings.Epochs, stepsPerEpoch);
        var history = new List<EpochMetrics>();
        var wall = Stopwatch.StartNew();
        var step = new TrainStep(model, optimizer);
        progress.Run(() =>
        {
            for (var epoch = 1; epoch <= settings.Epochs; epoch++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress.StartEpoch(epoch);
                var epochTimer = Stopwatch.StartNew();
                using var generator = key.Fold("shuffle").Fold(epoch).CreateGenerator();
                using var order = torch.randperm(trainData.Count, generator: generator);
                double lossSum = 0;
                long correct = 0, seen = 0;
                for (long s = 0; s < stepsPerEpoch; s++)
                {
                    var start = s * settings.BatchSize;
                    var length = Math.Min(settings.BatchSize, trainData.Count - start);
                    using var indices = order.narrow(0, start, length);
                    var (images, labels) = trainData.Batch(indices);
                    var result = step.Run(ref parameters, ref state, ref optState, images, labels, key.Fold("dropout").Fold((epoch - 1) * stepsPerEpoch + s));
                    images.Dispose();
                    labels.Dispose();
                    lossSum += result.Loss * length;
                    correct += result.Correct;
                    seen += length;
                    progress.Step(epoch, s + 1, lossSum / seen, seen / epochTimer.Elapsed.TotalSeconds);
                }
                var seconds = epochTimer.Elapsed.TotalSeconds;
                var (testLoss, testAccuracy) = new Classifier(model, parameters, state).Evaluate(testData);
                var metrics = new EpochMetrics(epoch, lossSum / seen, (double)correct / seen, testLoss, testAccuracy, seconds, seen / seconds);
                history.Add(metrics);
                progress.EndEpoch(metrics);
                MetricsFiles.WriteCsv(Path.Combine(outDir, "metrics.csv"), history);
            }
        });
        wall.Stop();

        var checkpointPath = Path.Combine(outDir, "model.safetensors");
        ModelCheckpoint.Save(checkpointPath, kind, parameters, state);
        var plotPath = Path.Combine(outDir, "metrics.png");
        MetricsFiles.WritePlot(plotPath, history, $"Fashion-MNIST {kind.Name().ToUpperInvariant()}");

        var table = new Table().Title("[bold]Summary[/]").AddColumn("").AddColumn("");
        table.AddRow("model", Markup.Escape(Models.Describe(kind)));
        table.AddRow("parameters", $"{parameterCount:N0}");
        table.AddRow("data", Markup.Escape(origin));
        table.AddRow("epochs × batch", $"{settings.Epochs} × {settings.BatchSize}");
        table.AddRow("optimizer", $"Adam lr {settings.LearningRate}");
        table.AddRow("wall time", $"{wall.Elapsed.TotalSeconds:F1} s (training {history.Sum(h => h.Seconds):F1} s)");
        table.AddRow("final test accuracy", $"[green]{history[^1].TestAccuracy:F4}[/]");
        table.AddRow("best test accuracy", $"{history.Max(h => h.TestAccuracy):F4} (epoch {history.MaxBy(h => h.TestAccuracy)!.Epoch})");
        table.AddRow("checkpoint", Markup.Escape(checkpointPath));
        table.AddRow("metrics", Markup.Escape(Path.Combine(outDir, "metrics.csv") + ", " + plotPath));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"test accuracy: {history[^1].TestAccuracy:F4}");
        parameters.DisposeTensors();
        state.DisposeTensors();
        return 0;
    }
}
