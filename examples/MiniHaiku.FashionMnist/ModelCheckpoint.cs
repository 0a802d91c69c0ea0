using MiniHaiku.Checkpoints;
using TorchSharp;

namespace MiniHaiku.FashionMnistExample;

/// <summary>A model reloaded from a checkpoint.</summary>
/// <param name="Kind">The architecture.</param>
/// <param name="Params">Its parameters.</param>
/// <param name="State">Its state.</param>
public sealed record LoadedModel(ModelKind Kind, Params Params, Params State);

/// <summary>
/// Saves and loads the example's checkpoints: a safetensors file (library <see cref="Checkpoint"/>)
/// holding parameters and state, with the architecture in the metadata.
/// </summary>
public static class ModelCheckpoint
{
    /// <summary>The metadata key naming the architecture.</summary>
    public const string ModelKey = "model";

    /// <summary>Writes the checkpoint atomically.</summary>
    /// <param name="path">The target file.</param>
    /// <param name="kind">The architecture.</param>
    /// <param name="parameters">The parameters.</param>
    /// <param name="state">The model state.</param>
    /// <param name="extraMetadata">More metadata to record (e.g. accuracy).</param>
    public static void Save(string path, ModelKind kind, Params parameters, Params state, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        var metadata = new Dictionary<string, string>(extraMetadata ?? new Dictionary<string, string>()) { [ModelKey] = kind.Name() };
        Checkpoint.Save(path, parameters, state, metadata: metadata);
    }

    /// <summary>
    /// Loads a checkpoint and checks it against the architecture recorded in it (or, if it records
    /// none, the one requested, else whichever architecture its parameter names fit).
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="requested">The architecture asked for, or null for the recorded one.</param>
    /// <returns>The architecture, parameters and state.</returns>
    /// <exception cref="CheckpointModelMismatchException">The checkpoint is of another architecture than requested, or of neither.</exception>
    /// <exception cref="CheckpointException">The file is missing, corrupt, or does not fit the architecture.</exception>
    public static LoadedModel Load(string path, ModelKind? requested = null)
    {
        var raw = Checkpoint.Load(path);
        ModelKind kind;
        try
        {
            if (raw.Metadata.TryGetValue(ModelKey, out var recordedText))
            {
                var recorded = ModelKinds.Parse(recordedText)
                    ?? throw new CheckpointModelMismatchException(path, recordedText, requested?.Name() ?? "mlp, cnn or resnet");
                if (requested is { } r && r != recorded) throw new CheckpointModelMismatchException(path, recorded.Name(), r.Name());
                kind = recorded;
            }
            else
            {
                kind = requested ?? Infer(path, raw.Params);
            }
        }
        finally
        {
            raw.Params.DisposeTensors();
            raw.State.DisposeTensors();
            raw.OptState.DisposeTensors();
        }
        var (expectedParams, expectedState) = ExpectedStructure(kind);
        try
        {
            var contents = Checkpoint.Load(path, expectedParams, expectedState);
            contents.OptState.DisposeTensors();
            return new LoadedModel(kind, contents.Params, contents.State);
        }
        finally
        {
            expectedParams.DisposeTensors();
            expectedState.DisposeTensors();
        }
    }

    private static ModelKind Infer(string path, Params stored)
    {
        foreach (var kind in Enum.GetValues<ModelKind>())
        {
            var (p, s) = ExpectedStructure(kind);
            var fits = p.Keys.SequenceEqual(stored.Keys);
            p.DisposeTensors();
            s.DisposeTensors();
            if (fits) return kind;
        }
        throw new CheckpointModelMismatchException(path,
            $"its parameters ({string.Join(", ", stored.Keys.Take(4))}{(stored.Count > 4 ? ", …" : "")}) are those of none of the mlp, cnn and resnet models");
    }

    private static (Params Params, Params State) ExpectedStructure(ModelKind kind)
    {
        using var example = torch.zeros(1, 1, 28, 28);
        return Models.Create(kind).Init(0, new ModelInput(example, IsTraining: true));
    }
}
