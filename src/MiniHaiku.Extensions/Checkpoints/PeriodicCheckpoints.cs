using System.Globalization;
using MiniHaiku.Training;

namespace MiniHaiku.Checkpoints;

/// <summary>
/// A <see cref="TrainingCallback"/> that saves resumable checkpoints (<see cref="TrainingCheckpoint"/>) into a folder:
/// <c>step-{step}.safetensors</c> every N steps and/or every M epochs, keeping the last k, plus <c>best.safetensors</c>,
/// a copy of the state with the best value of an evaluation metric so far. <see cref="Latest"/> finds the file to
/// resume from.
/// </summary>
/// <example>
/// <code>
/// var checkpoints = new PeriodicCheckpoints("runs/mlp/checkpoints", everySteps: 500, keepLast: 3, bestMetric: "accuracy");
/// var resume = PeriodicCheckpoints.Latest("runs/mlp/checkpoints") is { } file ? TrainingCheckpoint.Load(file, template) : null;
/// </code>
/// </example>
public sealed class PeriodicCheckpoints : TrainingCallback
{
    /// <summary>The file name of the best-by-metric copy.</summary>
    public const string BestFileName = "best.safetensors";

    /// <summary>The metadata key holding the best metric's value in <see cref="BestFileName"/>.</summary>
    public const string BestValueKey = "best_metric_value";

    /// <summary>The metadata key naming the best metric in <see cref="BestFileName"/>.</summary>
    public const string BestMetricKey = "best_metric";

    private const string Prefix = "step-", Suffix = ".safetensors";
    private readonly long everySteps;
    private readonly int everyEpochs;
    private readonly int keepLast;
    private readonly string? bestMetric;
    private readonly bool higherIsBetter;
    private readonly RunDescription? description;
    private readonly Func<IReadOnlyDictionary<string, string>>? metadata;
    private double? best;

    /// <summary>Creates the callback; the folder is created when missing.</summary>
    /// <param name="directory">The checkpoint folder.</param>
    /// <param name="everySteps">Save every this many steps (counted by <see cref="TrainState.Step"/>); 0 for never.</param>
    /// <param name="everyEpochs">Save at the end of every this many epochs; 0 for never (default 1).</param>
    /// <param name="keepLast">How many step files to keep (older ones are deleted); at least 1 (default 3).</param>
    /// <param name="bestMetric">The evaluation metric whose best value is kept in <see cref="BestFileName"/>, or null.</param>
    /// <param name="higherIsBetter">True for accuracy-like metrics (default), false for losses.</param>
    /// <param name="description">The run's description for the metadata, or null.</param>
    /// <param name="metadata">More metadata, computed at each save (e.g. the metrics history), or null.</param>
    /// <exception cref="CheckpointException">The folder cannot be created.</exception>
    public PeriodicCheckpoints(string directory, long everySteps = 0, int everyEpochs = 1, int keepLast = 3, string? bestMetric = null,
        bool higherIsBetter = true, RunDescription? description = null, Func<IReadOnlyDictionary<string, string>>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (everySteps < 0) throw new ModelUsageException($"everySteps must not be negative, got {everySteps}.");
        if (everyEpochs < 0) throw new ModelUsageException($"everyEpochs must not be negative, got {everyEpochs}.");
        if (keepLast < 1) throw new ModelUsageException($"keepLast must be at least 1, got {keepLast}.");
        Directory = directory;
        this.everySteps = everySteps;
        this.everyEpochs = everyEpochs;
        this.keepLast = keepLast;
        this.bestMetric = bestMetric;
        this.higherIsBetter = higherIsBetter;
        this.description = description;
        this.metadata = metadata;
        try
        {
            System.IO.Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException(directory, "cannot be created as a checkpoint folder: " + e.Message, e);
        }
    }

    /// <summary>The checkpoint folder.</summary>
    public string Directory { get; }

    /// <summary>The path of the step file for <paramref name="step"/> in <paramref name="directory"/>.</summary>
    /// <param name="directory">The folder.</param>
    /// <param name="step">The step.</param>
    /// <returns>The path.</returns>
    public static string StepPath(string directory, long step) =>
        Path.Combine(directory, Prefix + step.ToString("D10", CultureInfo.InvariantCulture) + Suffix);

    /// <summary>The step files of <paramref name="directory"/>, oldest first.</summary>
    /// <param name="directory">The folder (may be missing: then none).</param>
    /// <returns>(step, path) pairs.</returns>
    public static IReadOnlyList<(long Step, string Path)> StepFiles(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!System.IO.Directory.Exists(directory)) return [];
        var found = new List<(long, string)>();
        foreach (var file in System.IO.Directory.EnumerateFiles(directory, Prefix + "*" + Suffix))
        {
            var middle = Path.GetFileName(file)[Prefix.Length..^Suffix.Length];
            if (middle.Length > 0 && middle.All(char.IsAsciiDigit) && long.TryParse(middle, NumberStyles.None, CultureInfo.InvariantCulture, out var step))
                found.Add((step, file));
        }
        return found.OrderBy(f => f.Item1).ToList();
    }

    /// <summary>The newest step file of <paramref name="directory"/> (the one to resume from), or null when there is none.</summary>
    /// <param name="directory">The folder.</param>
    /// <returns>The path, or null.</returns>
    public static string? Latest(string directory) => StepFiles(directory) is { Count: > 0 } files ? files[^1].Path : null;

    /// <summary>
    /// Deletes the step files and <see cref="BestFileName"/> of <paramref name="directory"/>: call it when a fresh run
    /// reuses the folder of an earlier one, so <see cref="Latest"/> and the best copy only ever describe one run.
    /// </summary>
    /// <param name="directory">The folder (may be missing).</param>
    /// <exception cref="CheckpointException">A file cannot be deleted.</exception>
    public static void Clear(string directory)
    {
        var files = StepFiles(directory).Select(f => f.Path).ToList();
        var best = Path.Combine(directory, BestFileName);
        if (File.Exists(best)) files.Add(best);
        foreach (var path in files) Delete(path, "clearing the folder");
    }

    private static void Delete(string path, string why)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException(path, $"could not be deleted ({why}): {e.Message}", e);
        }
    }

    /// <inheritdoc />
    public override void OnStep(StepEnd step)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (everySteps > 0 && step.State.Step % everySteps == 0) SaveStep(step.State, step.ResumePosition);
    }

    /// <inheritdoc />
    public override void OnEvaluation(EvaluationEnd evaluation)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        if (bestMetric is null) return;
        if (!evaluation.Metrics.TryGetValue(bestMetric, out var value))
            throw new MissingMetricException(nameof(PeriodicCheckpoints), bestMetric, evaluation.Metrics.Keys);
        best ??= ReadBest();
        if (double.IsNaN(value) || best is { } b && !(higherIsBetter ? value > b : value < b)) return;
        best = value;
        Save(Path.Combine(Directory, BestFileName), evaluation.State, evaluation.ResumePosition, new Dictionary<string, string>
        {
            [BestMetricKey] = bestMetric,
            [BestValueKey] = value.ToString("R", CultureInfo.InvariantCulture),
        });
    }

    /// <inheritdoc />
    public override void OnEpochEnd(EpochEnd epoch)
    {
        ArgumentNullException.ThrowIfNull(epoch);
        if (everyEpochs > 0 && epoch.Epoch % everyEpochs == 0) SaveStep(epoch.State, epoch.ResumePosition);
    }

    /// <summary>The best value recorded by an earlier (interrupted) run in this folder, so a resumed run keeps comparing against it.</summary>
    private double? ReadBest()
    {
        var path = Path.Combine(Directory, BestFileName);
        if (!File.Exists(path)) return null;
        var meta = Checkpoint.ReadMetadata(path);
        return meta.TryGetValue(BestMetricKey, out var m) && m == bestMetric && meta.TryGetValue(BestValueKey, out var v)
            && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) ? x : null;
    }

    private void SaveStep(TrainState state, FitPosition position)
    {
        Save(StepPath(Directory, state.Step), state, position, null);
        var files = StepFiles(Directory);
        foreach (var (_, path) in files.Take(Math.Max(0, files.Count - keepLast))) Delete(path, "keep-last policy");
    }

    private void Save(string path, TrainState state, FitPosition position, Dictionary<string, string>? extra)
    {
        var meta = new Dictionary<string, string>(metadata?.Invoke() ?? new Dictionary<string, string>());
        if (extra is not null) foreach (var (k, v) in extra) meta[k] = v;
        TrainingCheckpoint.Save(path, state, position, description, meta);
    }
}
