using System.Diagnostics;
using System.Globalization;
using MiniHaiku.Distributed;
using MiniHaiku.Layers;
using MiniHaiku.Optim;
using MiniHaiku.Training;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.FashionMnistExample;

/// <summary>
/// <c>train --distributed</c>: data-parallel training over the ranks of an MPI job
/// (<c>mpiexec -n 2 dotnet MiniHaiku.FashionMnist.dll train --distributed</c>). Every rank reads its share
/// of each batch, gradients are averaged over ranks, rank 0 evaluates, prints and writes the outputs; at
/// the end the ranks compare parameter digests.
/// </summary>
public static class DistributedTraining
{
    /// <summary>Runs the training in an MPI session; any error ends every rank (see <see cref="MpiSession.Run"/>).</summary>
    /// <param name="settings">The train options (--threads is per rank, default 1).</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    /// <returns>0 when every rank ends with identical parameters.</returns>
    public static int Run(TrainSettings settings, CancellationToken cancellationToken) =>
        MpiSession.Run(mpi => Train(mpi, settings, cancellationToken), settings.Threads ?? 1);

    private static int Train(MpiSession mpi, TrainSettings settings, CancellationToken cancellationToken)
    {
        var kind = settings.Kind;
        var outDir = settings.Out ?? Path.Combine("runs", kind.Name());
        if (mpi.IsRoot)
            AnsiConsole.MarkupLineInterpolated(
                $"Distributed: [bold]{mpi.Size}[/] ranks (MPI), {torch.get_num_threads()} torch thread(s) per rank; each batch of {settings.BatchSize} is split across the ranks");
        mpi.OnRoot(() => Directory.CreateDirectory(outDir));

        var (train, test, origin) = DataSource.Load(settings.Data);
        using var trainData = train;
        using var testData = test;
        var model = Models.Create(kind);
        var key = RngKey.FromSeed(settings.Seed);
        Params parameters, state;
        using (var example = trainData.Images.narrow(0, 0, Math.Min(2, trainData.Count)))
            (parameters, state) = model.Init(key.Fold("init"), new ModelInput(example, IsTraining: true));
        var stepsPerEpoch = (trainData.Count + settings.BatchSize - 1) / settings.BatchSize;
        Schedule learningRate = settings.Schedule == "cosine"
            ? Schedule.CosineDecay(settings.LearningRate, stepsPerEpoch * settings.Epochs)
            : Schedule.Constant(settings.LearningRate);
        var trainer = DataParallel.ForModel(mpi, model, ((Tensor Images, Tensor Labels) batch, bool isTraining) => new ModelInput(batch.Images, isTraining),
            (logits, batch) => Losses.SoftmaxCrossEntropy(logits, batch.Labels), Optimizers.Adam(learningRate), batch => batch.Labels.shape[0]);
        var trainState = trainer.Init(parameters, settings.Seed, state); // rank 0's parameters, broadcast
        parameters.DisposeTensors();
        state.DisposeTensors();
        if (mpi.IsRoot)
            AnsiConsole.MarkupLineInterpolated(
                $"Data: {origin}\nModel: {Models.Describe(kind)} — [bold]{trainState.Params.ElementCount:N0}[/] parameters; Adam lr {settings.LearningRate} ({settings.Schedule}), batch {settings.BatchSize}, {settings.Epochs} epochs, seed {settings.Seed}");

        var sampler = ShardSampler.For(mpi);
        var history = new List<EpochMetrics>();
        var wall = Stopwatch.StartNew();
        for (var epoch = 1; epoch <= settings.Epochs; epoch++)
        {
            var epochTimer = Stopwatch.StartNew();
            var losses = new LossLog(epoch, stepsPerEpoch, trainState.Step);
            var communication = mpi.CommunicationTime;
            var shards = sampler.Batches(trainData.Count, settings.BatchSize, trainData.Batch, key.Fold("shuffle").Fold(epoch));
            var next = trainer.Fit(trainState, shards, losses, reportEvery: 1, cancellationToken);
            DisposeSuperseded(trainState, next);
            trainState = next;
            var seconds = epochTimer.Elapsed.TotalSeconds;
            var communicated = (mpi.CommunicationTime - communication).TotalSeconds;
            var current = trainState;
            mpi.OnRoot(() =>
            {
                var (testLoss, testAccuracy) = new Classifier(model, current.Params, current.State).Evaluate(testData);
                var metrics = new EpochMetrics(epoch, losses.MeanLoss, testLoss, testAccuracy, seconds, trainData.Count / seconds);
                history.Add(metrics);
                AnsiConsole.MarkupLineInterpolated(
                    $"epoch {epoch}/{settings.Epochs}: train loss {metrics.TrainLoss:F4}, test loss {testLoss:F4}, test accuracy [green]{testAccuracy:F4}[/], {seconds:F1} s ({metrics.SamplesPerSecond:F0} samples/s; rank 0 in MPI {communicated:F1} s)");
                MetricsFiles.WriteCsv(Path.Combine(outDir, "metrics.csv"), history);
            });
        }
        wall.Stop();

        var checkpointPath = Path.Combine(outDir, "model.safetensors");
        mpi.OnRoot(() =>
        {
            ModelCheckpoint.Save(checkpointPath, kind, trainState.Params, trainState.State, new Dictionary<string, string>
            {
                ["epochs"] = settings.Epochs.ToString(CultureInfo.InvariantCulture),
                ["test_accuracy"] = history[^1].TestAccuracy.ToString("F4", CultureInfo.InvariantCulture),
                ["seed"] = settings.Seed.ToString(CultureInfo.InvariantCulture),
                ["ranks"] = mpi.Size.ToString(CultureInfo.InvariantCulture),
            });
            MetricsFiles.WritePlot(Path.Combine(outDir, "metrics.png"), history, $"Fashion-MNIST {kind.Name().ToUpperInvariant()} ({mpi.Size} ranks)");
            AnsiConsole.MarkupLineInterpolated($"wall time {wall.Elapsed.TotalSeconds:F1} s; checkpoint {checkpointPath} (written by rank 0)");
            AnsiConsole.MarkupLineInterpolated($"test accuracy: {history[^1].TestAccuracy:F4}");
        });

        var parametersCheck = mpi.CompareAcrossRanks(trainState.Params);
        var stateCheck = mpi.CompareAcrossRanks(trainState.State);
        var identical = parametersCheck.Identical && stateCheck.Identical;
        if (mpi.IsRoot)
        {
            AnsiConsole.MarkupLineInterpolated($"Parameter digest (SHA-256, compared across ranks): {parametersCheck.RootDigest}");
            if (identical)
                AnsiConsole.MarkupLineInterpolated($"[green]All {mpi.Size} ranks hold identical parameters.[/]");
            else
                AnsiConsole.MarkupLineInterpolated(
                    $"[red]Ranks {string.Join(", ", parametersCheck.DifferentRanks.Union(stateCheck.DifferentRanks))} hold parameters or state different from rank 0's.[/]");
        }
        trainState.DisposeTensors();
        return identical ? 0 : 1;
    }

    private static void DisposeSuperseded(TrainState old, TrainState next)
    {
        var live = new HashSet<Tensor>(next.Tensors(), ReferenceEqualityComparer.Instance);
        foreach (var t in old.Tensors().Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>())
            if (!live.Contains(t)) t.Dispose();
    }

    /// <summary>Rank 0's running loss of an epoch, printed a few times per epoch.</summary>
    private sealed class LossLog(int epoch, long stepsPerEpoch, long firstStep) : IProgress<TrainProgress>
    {
        private double sum;
        private long steps;
        private readonly long every = Math.Max(1, stepsPerEpoch / 4);

        public double MeanLoss => steps == 0 ? double.NaN : sum / steps;

        public void Report(TrainProgress value)
        {
            sum += value.Loss;
            steps = value.Step - firstStep;
            if (steps % every == 0 && steps < stepsPerEpoch)
                AnsiConsole.MarkupLineInterpolated($"  epoch {epoch} step {steps}/{stepsPerEpoch}: mean loss {MeanLoss:F4}, {value.SamplesPerSecond:F0} samples/s");
        }
    }
}
