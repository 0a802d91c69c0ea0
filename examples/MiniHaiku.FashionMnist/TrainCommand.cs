using System.Diagnostics;
using System.Globalization;
using MiniHaiku.Data;
using MiniHaiku.Layers;
using MiniHaiku.Optim;
using MiniHaiku.Summaries;
using MiniHaiku.Training;
using MiniHaiku.Checkpoints;
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
        if (settings.Distributed) return DistributedTraining.Run(settings, cancellationToken);
        if (settings.Threads is { } threads) torch.set_num_threads(threads);
        var kind = settings.Kind;
        var outDir = settings.Out ?? Path.Combine("runs", kind.Name());
        OutputFolder.RequireWritable(outDir);

        var (train, test, origin) = DataSource.Load(settings.Data);
        using var trainData = train;
        using var testData = test;
        AnsiConsole.MarkupLineInterpolated($"Data: {origin}");

        var model = Models.Create(kind);
        var key = RngKey.FromSeed(settings.Seed);
        Params parameters, state;
        using (var example = trainData.Images.narrow(0, 0, Math.Min(2, trainData.Count)))
            (parameters, state) = model.Init(key.Fold("init"), new ModelInput(example, IsTraining: true));
        var stepsPerEpoch = (trainData.Count + settings.BatchSize - 1) / settings.BatchSize;
        var totalSteps = stepsPerEpoch * settings.Epochs;
        Schedule learningRate = settings.Schedule == "cosine"
            ? Schedule.CosineDecay(settings.LearningRate, totalSteps)
            : Schedule.Constant(settings.LearningRate);
        var trainer = Trainer.ForModel(model, ((Tensor Images, Tensor Labels) batch, bool isTraining) => new ModelInput(batch.Images, isTraining),
            (logits, batch) => Losses.SoftmaxCrossEntropy(logits, batch.Labels), Optimizers.Adam(learningRate), batch => batch.Labels.shape[0]);
        var trainState = trainer.Init(parameters, settings.Seed, state);
        var parameterCount = parameters.ElementCount;
        AnsiConsole.MarkupLineInterpolated(
            $"Model: {Models.Describe(kind)} — [bold]{parameterCount:N0}[/] parameters; Adam lr {settings.LearningRate} ({settings.Schedule}), batch {settings.BatchSize}, {settings.Epochs} epochs, seed {settings.Seed}, {torch.get_num_threads()} threads");

        using (var example = trainData.Images.narrow(0, 0, 1))
            AnsiConsole.WriteLine(Summary.Tabulate(model, new ModelInput(example, IsTraining: false)).ToString());
        var progress = new TrainingProgress(settings.Epochs, stepsPerEpoch);
        var history = new List<EpochMetrics>();
        var stepLosses = new List<StepLoss>();
        var wall = Stopwatch.StartNew();
        progress.Run(() =>
        {
            for (var epoch = 1; epoch <= settings.Epochs; epoch++)
            {
                progress.StartEpoch(epoch);
                var epochTimer = Stopwatch.StartNew();
                var reporter = new EpochReporter(progress, epoch, trainState.Step, epochTimer, settings.BatchSize, trainData.Count, stepLosses);
                using var generator = key.Fold("shuffle").Fold(epoch).CreateGenerator();
                using var order = torch.randperm(trainData.Count, generator: generator);
                var next = trainer.FitEpoch(trainState, Batches(trainData, order, settings.BatchSize), epoch, reporter, cancellationToken: cancellationToken);
                DisposeSuperseded(trainState, next);
                trainState = next;
                var seconds = epochTimer.Elapsed.TotalSeconds;
                var (testLoss, testAccuracy) = new Classifier(model, trainState.Params, trainState.State).Evaluate(testData);
                var metrics = new EpochMetrics(epoch, reporter.MeanLoss, testLoss, testAccuracy, seconds, trainData.Count / seconds);
                history.Add(metrics);
                progress.EndEpoch(metrics);
                MetricsFiles.WriteCsv(Path.Combine(outDir, "metrics.csv"), history);
            }
        });
        parameters = trainState.Params;
        state = trainState.State;
        wall.Stop();

        var checkpointPath = Path.Combine(outDir, "model.safetensors");
        ModelCheckpoint.Save(checkpointPath, kind, parameters, state, new Dictionary<string, string>
        {
            ["epochs"] = settings.Epochs.ToString(CultureInfo.InvariantCulture),
            ["test_accuracy"] = history[^1].TestAccuracy.ToString("F4", CultureInfo.InvariantCulture),
            ["seed"] = settings.Seed.ToString(CultureInfo.InvariantCulture),
        });
        var plotPath = Path.Combine(outDir, "metrics.png");
        MetricsFiles.WriteStepCsv(Path.Combine(outDir, "steps.csv"), stepLosses);
        MetricsFiles.WritePlot(plotPath, history, $"Fashion-MNIST {kind.Name().ToUpperInvariant()}", stepLosses);

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
        table.AddRow("metrics", Markup.Escape(Path.Combine(outDir, "metrics.csv") + ", " + Path.Combine(outDir, "steps.csv") + ", " + plotPath));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"test accuracy: {history[^1].TestAccuracy:F4}");
        trainState.DisposeTensors();
        return 0;
    }

    /// <summary>The epoch's batches in <paramref name="order"/>; each batch is disposed once the next is requested.</summary>
    private static IEnumerable<(Tensor Images, Tensor Labels)> Batches(LabeledImages data, Tensor order, int batchSize)
    {
        for (long start = 0; start < data.Count; start += batchSize)
        {
            var length = Math.Min(batchSize, data.Count - start);
            (Tensor Images, Tensor Labels) batch;
            using (var indices = order.narrow(0, start, length)) batch = data.Batch(indices);
            try { yield return batch; }
            finally
            {
                batch.Images.Dispose();
                batch.Labels.Dispose();
            }
        }
    }

    /// <summary>Disposes the tensors of <paramref name="old"/> that <paramref name="next"/> does not share.</summary>
    private static void DisposeSuperseded(TrainState old, TrainState next)
    {
        var live = new HashSet<Tensor>(next.Tensors(), ReferenceEqualityComparer.Instance);
        foreach (var t in old.Tensors().Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>())
            if (!live.Contains(t)) t.Dispose();
    }

    /// <summary>Turns the trainer's per-step reports into the epoch's running loss and the progress display.</summary>
    /// <remarks>Every step's loss is also appended to <paramref name="stepLosses"/> (the per-step loss curve).</remarks>
    private sealed class EpochReporter(TrainingProgress progress, int epoch, long firstStep, Stopwatch epochTimer, long batchSize, long epochSamples,
        List<StepLoss> stepLosses)
        : IProgress<TrainProgress>
    {
        private double lossSum;
        private long steps;

        public double MeanLoss => steps == 0 ? double.NaN : lossSum / steps;

        public void Report(TrainProgress value)
        {
            lossSum += value.Loss;
            stepLosses.Add(new StepLoss(value.Step, epoch, value.Loss));
            steps = value.Step - firstStep;
            var samples = Math.Min(steps * batchSize, epochSamples);
            progress.Step(epoch, steps, MeanLoss, samples / Math.Max(epochTimer.Elapsed.TotalSeconds, 1e-9));
        }
    }
}
