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
        Device? device = settings.Device == "cpu" ? null : torch.device(settings.Device);
        Params parameters, state;
        using (var example = trainData.Images.narrow(0, 0, Math.Min(2, trainData.Count)))
        using (var onDevice = device is null ? example.alias() : example.to(device))
            (parameters, state) = model.Init(key.Fold("init"), new ModelInput(onDevice, IsTraining: true), device);
        var stepsPerEpoch = (trainData.Count + settings.BatchSize - 1) / settings.BatchSize;
        var totalSteps = stepsPerEpoch * settings.Epochs;
        Schedule learningRate = settings.Schedule == "cosine"
            ? Schedule.CosineDecay(settings.LearningRate, totalSteps)
            : Schedule.Constant(settings.LearningRate);
        var trainer = Trainer.ForModel(model, ((Tensor Images, Tensor Labels) batch, bool isTraining) => new ModelInput(batch.Images, isTraining),
            (logits, batch) => Losses.SoftmaxCrossEntropy(logits, batch.Labels), Optimizers.Adam(learningRate), batch => batch.Labels.shape[0]);
        if (device is not null) trainer = trainer.OnDevice(device, (batch, d) => (batch.Images.to(d), batch.Labels.to(d)));
        var trainState = trainer.Init(parameters, settings.Seed, state);
        var parameterCount = parameters.ElementCount;
        var description = new RunDescription(Models.Describe(kind),
            settings.Schedule == "cosine"
                ? string.Create(CultureInfo.InvariantCulture, $"Adam, cosine decay from {settings.LearningRate} to 0 over {totalSteps} steps")
                : string.Create(CultureInfo.InvariantCulture, $"Adam, constant {settings.LearningRate}"),
            settings.BatchSize, settings.Seed);
        var checkpointDir = Path.Combine(outDir, "checkpoints");
        var history = new List<EpochMetrics>();
        var stepLosses = new List<StepLoss>();   // the per-step loss curve (steps.csv, metrics.png)
        var start = FitPosition.Start;
        if (settings.Resume)
        {
            var latest = PeriodicCheckpoints.Latest(checkpointDir)
                ?? throw new CheckpointException(checkpointDir, "holds no checkpoint to resume from (step-*.safetensors): run without --resume to start afresh.");
            ResumePoint resumed;
            try
            {
                resumed = TrainingCheckpoint.Load(latest, trainState, device);
            }
            finally
            {
                trainState.DisposeTensors(); // the template
            }
            if (resumed.Description != description)
            {
                resumed.State.DisposeTensors();
                throw new CheckpointException(latest, $"was saved by a run with other settings ({Describe(resumed.Description)}) than this one ({Describe(description)}): resume with the same --model, --batch-size, --lr, --schedule, --epochs and --seed.");
            }
            trainState = resumed.State;
            parameters = trainState.Params;
            start = resumed.Position;
            history.AddRange(HistoryFile.Parse(resumed.Metadata.GetValueOrDefault(HistoryFile.MetadataKey)).Where(h => h.Epoch < start.Epoch));
            AnsiConsole.MarkupLineInterpolated($"Resuming from [bold]{latest}[/]: step {trainState.Step}, epoch {start.Epoch} after {start.BatchesDone} of its {stepsPerEpoch} batches.");
        }
        else
        {
            PeriodicCheckpoints.Clear(checkpointDir); // the files of an earlier run in this folder
        }
        AnsiConsole.MarkupLineInterpolated(
            $"Model: {Models.Describe(kind)} — [bold]{parameterCount:N0}[/] parameters; Adam lr {settings.LearningRate} ({settings.Schedule}), batch {settings.BatchSize}, {settings.Epochs} epochs, seed {settings.Seed}, {torch.get_num_threads()} threads");

        using (var example = trainData.Images.narrow(0, 0, 1))
            AnsiConsole.WriteLine(Summary.Tabulate(model, new ModelInput(example, IsTraining: false)).ToString());
        var progress = new TrainingProgress(settings.Epochs, stepsPerEpoch);
        var callbacks = new List<TrainingCallback>
        {
            new ProgressCallback(progress, history, stepLosses, settings.BatchSize, trainData.Count, Path.Combine(outDir, "metrics.csv")),
            new PeriodicCheckpoints(checkpointDir, everySteps: settings.CheckpointEvery, everyEpochs: 1, keepLast: settings.KeepCheckpoints,
                bestMetric: "test_accuracy", description: description,
                metadata: () => new Dictionary<string, string> { [HistoryFile.MetadataKey] = HistoryFile.Format(history), [ModelCheckpoint.ModelKey] = kind.Name() }),
        };
        if (settings.Patience is { } patience) callbacks.Add(new EarlyStopping("test_accuracy", patience));
        if (settings.TensorBoard)
            callbacks.Add(new TensorBoardLogger(Path.Combine(outDir, "tensorboard"), learningRate, histogramEvery: stepsPerEpoch));
        var options = new FitOptions<(Tensor Images, Tensor Labels)>(settings.Epochs, epoch => EpochBatches(trainData, key, epoch, settings.BatchSize))
        {
            Evaluate = (s, _) =>
            {
                var onCpu = device is null ? s : s.To(torch.CPU);
                var (testLoss, testAccuracy) = new Classifier(model, onCpu.Params, onCpu.State).Evaluate(testData);
                if (device is not null) onCpu.DisposeTensors();
                return new Dictionary<string, double> { ["test_loss"] = testLoss, ["test_accuracy"] = testAccuracy };
            },
            Callbacks = callbacks,
            StartAt = start,
        };
        var wall = Stopwatch.StartNew();
        FitResult? result = null;
        progress.Run(() => result = trainer.Fit(trainState, options, cancellationToken));
        if (!ReferenceEquals(result!.State, trainState)) DisposeSuperseded(trainState, result.State);
        trainState = result.State;
        if (result.StopReason is { } reason) AnsiConsole.MarkupLineInterpolated($"[yellow]Stopped early[/]: {reason}.");
        if (history.Count == 0) throw new CheckpointException(checkpointDir, "records no finished epoch although training ended: delete the folder and train afresh.");
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

    /// <summary>
    /// The batches of a 1-based epoch, shuffled by a generator seeded from the run's key and the epoch: the same
    /// batches every time (a resumed run skips exactly those already trained on). Each batch is disposed once the next
    /// is requested.
    /// </summary>
    private static IEnumerable<(Tensor Images, Tensor Labels)> EpochBatches(LabeledImages data, RngKey key, int epoch, int batchSize)
    {
        using var generator = key.Fold("shuffle").Fold(epoch).CreateGenerator();
        using var order = torch.randperm(data.Count, generator: generator);
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

    private static string Describe(RunDescription? d) => d is null ? "no description"
        : string.Create(CultureInfo.InvariantCulture, $"model {d.Model}; {d.LearningRate}; batch {d.BatchSize}; seed {d.Seed}");

    /// <summary>Disposes the tensors of <paramref name="old"/> that <paramref name="next"/> does not share.</summary>
    private static void DisposeSuperseded(TrainState old, TrainState next)
    {
        var live = new HashSet<Tensor>(next.Tensors(), ReferenceEqualityComparer.Instance);
        foreach (var t in old.Tensors().Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>())
            if (!live.Contains(t)) t.Dispose();
    }

    /// <summary>
    /// Drives the progress display from the trainer's callbacks, records each epoch's metrics (metrics.csv) and
    /// each step's loss (<paramref name="stepLosses"/>: the per-step loss curve; a resumed run records its own steps).
    /// </summary>
    private sealed class ProgressCallback(TrainingProgress progress, List<EpochMetrics> history, List<StepLoss> stepLosses, long batchSize, long epochSamples, string csvPath)
        : TrainingCallback
    {
        private int epoch;
        private double lossSum;
        private long finite, steps;
        private Stopwatch clock = new();

        public override void OnStep(StepEnd step)
        {
            if (step.Epoch != epoch)
            {
                (epoch, lossSum, finite, steps, clock) = (step.Epoch, 0, 0, 0, Stopwatch.StartNew());
                progress.StartEpoch(epoch);
            }
            steps++;
            stepLosses.Add(new StepLoss(step.State.Step, epoch, step.Loss));
            if (double.IsFinite(step.Loss)) (lossSum, finite) = (lossSum + step.Loss, finite + 1);
            var samples = Math.Min(step.BatchesDone * batchSize, epochSamples);
            progress.Step(epoch, step.BatchesDone, finite > 0 ? lossSum / finite : double.NaN, Math.Min(steps * batchSize, samples) / Math.Max(clock.Elapsed.TotalSeconds, 1e-9));
        }

        public override void OnEpochEnd(EpochEnd end)
        {
            var metrics = new EpochMetrics(end.Epoch, end.MeanLoss, end.Metrics["test_loss"], end.Metrics["test_accuracy"], end.Seconds, end.SamplesPerSecond);
            history.Add(metrics);
            progress.EndEpoch(metrics);
            MetricsFiles.WriteCsv(csvPath, history);
        }
    }
}
