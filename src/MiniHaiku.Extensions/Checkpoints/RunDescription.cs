using System.Globalization;
using System.Reflection;

namespace MiniHaiku.Checkpoints;

/// <summary>
/// What a training checkpoint records about its run, next to the tensors: the model, the learning-rate schedule,
/// the batch size, the seed, and (added on save) the MiniHaiku version. Stored as <c>__metadata__</c> strings.
/// </summary>
/// <param name="Model">A description of the model, e.g. <c>mlp 784-256-128-10</c>.</param>
/// <param name="LearningRate">The learning-rate schedule, e.g. <c>cosine 0.001 over 2345 steps</c>.</param>
/// <param name="BatchSize">Samples per step.</param>
/// <param name="Seed">The run's seed.</param>
public sealed record RunDescription(string Model, string LearningRate, int BatchSize, long Seed)
{
    /// <summary>The metadata key of <see cref="Model"/>.</summary>
    public const string ModelKey = "model_description";

    /// <summary>The metadata key of <see cref="LearningRate"/>.</summary>
    public const string LearningRateKey = "lr_schedule";

    /// <summary>The metadata key of <see cref="BatchSize"/>.</summary>
    public const string BatchSizeKey = "batch_size";

    /// <summary>The metadata key of <see cref="Seed"/>.</summary>
    public const string SeedKey = "seed";

    /// <summary>The metadata key of the MiniHaiku version that wrote the checkpoint.</summary>
    public const string LibraryVersionKey = "library_version";

    /// <summary>The version of this MiniHaiku (its informational version, e.g. <c>0.1.0</c>).</summary>
    public static string LibraryVersion { get; } =
        typeof(RunDescription).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(RunDescription).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>The description as metadata entries (with <see cref="LibraryVersionKey"/>).</summary>
    /// <returns>The entries.</returns>
    public IReadOnlyDictionary<string, string> ToMetadata() => new Dictionary<string, string>
    {
        [ModelKey] = Model,
        [LearningRateKey] = LearningRate,
        [BatchSizeKey] = BatchSize.ToString(CultureInfo.InvariantCulture),
        [SeedKey] = Seed.ToString(CultureInfo.InvariantCulture),
        [LibraryVersionKey] = LibraryVersion,
    };

    /// <summary>Reads a description back from checkpoint metadata.</summary>
    /// <param name="metadata">The metadata.</param>
    /// <returns>The description, or null when the metadata lacks one of its entries.</returns>
    public static RunDescription? FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (metadata.TryGetValue(ModelKey, out var model) && metadata.TryGetValue(LearningRateKey, out var lr)
            && metadata.TryGetValue(BatchSizeKey, out var b) && int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var batch)
            && metadata.TryGetValue(SeedKey, out var s) && long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seed))
            return new RunDescription(model, lr, batch, seed);
        return null;
    }
}
