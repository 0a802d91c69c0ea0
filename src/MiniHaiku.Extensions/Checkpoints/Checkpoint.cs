using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MiniHaiku.Optim;
using MiniHaiku.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Checkpoints;

/// <summary>
/// Saves and loads parameters, model state and optimizer state in the
/// <a href="https://github.com/huggingface/safetensors">safetensors</a> format: an 8-byte little-endian
/// header length, a JSON header giving each tensor's dtype, shape and byte range, then the raw
/// little-endian data. Entries are named <c>params/{path}</c>, <c>state/{path}</c> and
/// <c>opt_state/{key}</c>; string metadata goes in <c>__metadata__</c>.
/// </summary>
/// <remarks>
/// Saving writes a temporary file in the same folder, flushes it to disk and renames it over the
/// target, so a crash never leaves a half-written checkpoint. Loading checks everything before
/// trusting it (lengths, JSON, dtypes, shapes, byte ranges) and reports any problem as a
/// <see cref="CheckpointException"/> naming the file.
/// </remarks>
public static class Checkpoint
{
    /// <summary>The entry-name prefix of parameters.</summary>
    public const string ParamsPrefix = "params/";

    /// <summary>The entry-name prefix of model state.</summary>
    public const string StatePrefix = "state/";

    /// <summary>The entry-name prefix of the flattened optimizer state.</summary>
    public const string OptStatePrefix = "opt_state/";

    private const string MetadataKey = "__metadata__";
    private const long MaxHeaderBytes = 100_000_000;

    /// <summary>Saves a checkpoint atomically (temporary file, flush, rename).</summary>
    /// <param name="path">The target file; replaced if it exists.</param>
    /// <param name="parameters">The parameters.</param>
    /// <param name="state">The model state, or null.</param>
    /// <param name="optState">The optimizer state, or null.</param>
    /// <param name="metadata">String metadata, or null.</param>
    /// <exception cref="CheckpointException">A tensor has a dtype safetensors cannot store, or the file cannot be written.</exception>
    public static void Save(string path, Params parameters, Params? state = null, OptState? optState = null, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(parameters);
        using var scope = torch.NewDisposeScope();
        var entries = new List<(string Name, Tensor Tensor)>();
        foreach (var (k, v) in parameters) entries.Add((ParamsPrefix + k, v));
        if (state is not null) foreach (var (k, v) in state) entries.Add((StatePrefix + k, v));
        if (optState is not null) foreach (var (k, v) in optState.ToParams()) entries.Add((OptStatePrefix + k, v));
        Write(path, entries, metadata);
    }

    /// <summary>Saves a whole <see cref="TrainState"/>; its step and random key go into the metadata.</summary>
    /// <param name="path">The target file; replaced if it exists.</param>
    /// <param name="trainState">The training state.</param>
    /// <param name="metadata">Extra string metadata, or null.</param>
    public static void Save(string path, TrainState trainState, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(trainState);
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>())
        {
            ["step"] = trainState.Step.ToString(CultureInfo.InvariantCulture),
            ["rng"] = trainState.Rng.Hi.ToString("x16", CultureInfo.InvariantCulture) + trainState.Rng.Lo.ToString("x16", CultureInfo.InvariantCulture),
        };
        Save(path, trainState.Params, trainState.State, trainState.OptState, meta);
    }

    /// <summary>Loads a checkpoint into a <see cref="TrainState"/> shaped like <paramref name="template"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="template">A state of the same model and optimizer (e.g. <c>trainer.Init(model.Init(...))</c>): keys, shapes and dtypes must match.</param>
    /// <returns>The saved training state.</returns>
    /// <exception cref="CheckpointException">The file is unreadable or does not fit the template.</exception>
    public static TrainState LoadTrainState(string path, TrainState template)
    {
        ArgumentNullException.ThrowIfNull(template);
        var c = Load(path, template.Params, template.State);
        if (!c.Metadata.TryGetValue("step", out var stepText) || !long.TryParse(stepText, NumberStyles.None, CultureInfo.InvariantCulture, out var step)
            || !c.Metadata.TryGetValue("rng", out var rngText) || rngText.Length != 32
            || !ulong.TryParse(rngText.AsSpan(0, 16), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var hi)
            || !ulong.TryParse(rngText.AsSpan(16), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var lo))
            throw new CheckpointException(path, "has no valid 'step' and 'rng' metadata: it was not saved from a TrainState.");
        return new TrainState(c.Params, c.State, c.RestoreOptState(template.OptState), step, new RngKey(hi, lo));
    }

    /// <summary>
    /// Loads a checkpoint and checks that it belongs to the model whose parameters (and state) look
    /// like <paramref name="expectedParams"/>: the same keys, shapes and dtypes.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="expectedParams">Parameters of the intended model, e.g. from <c>Init</c>.</param>
    /// <param name="expectedState">The model state it should hold, or null to skip that check.</param>
    /// <returns>The contents.</returns>
    /// <exception cref="CheckpointException">The file is unreadable or was saved from a different model.</exception>
    public static CheckpointContents Load(string path, Params expectedParams, Params? expectedState = null)
    {
        ArgumentNullException.ThrowIfNull(expectedParams);
        var c = Load(path);
        RequireStructure(path, "parameters", expectedParams, c.Params);
        if (expectedState is not null) RequireStructure(path, "state", expectedState, c.State);
        return c;
    }

    /// <summary>Loads a checkpoint (any safetensors file: entries without a known prefix count as parameters).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The contents.</returns>
    /// <exception cref="CheckpointException">The file is missing, truncated, corrupt, or its header is inconsistent.</exception>
    public static CheckpointContents Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!BitConverter.IsLittleEndian) throw new CheckpointException(path, "loading needs a little-endian machine.");
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CheckpointException(path, "cannot be opened: " + e.Message, e);
        }
        using (stream)
        {
            try
            {
                return Read(path, stream);
            }
            catch (IOException e)
            {
                throw new CheckpointException(path, "could not be read: " + e.Message, e);
            }
        }
    }

    private sealed record Entry(string Name, ScalarType DType, int ElementSize, long[] Shape, long Begin, long End);

    private static CheckpointContents Read(string path, FileStream stream)
    {
        var fileLength = stream.Length;
        if (fileLength < 8) throw new CheckpointException(path, $"is truncated: {fileLength} bytes, but a safetensors file starts with an 8-byte header length.");
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)(fileLength - 8))
            throw new CheckpointException(path, $"is truncated or corrupt: its header claims {headerLength} bytes but only {fileLength - 8} follow.");
        if (headerLength > MaxHeaderBytes || headerLength < 2)
            throw new CheckpointException(path, $"is corrupt: a header length of {headerLength} bytes is not plausible.");
        var header = new byte[headerLength];
        stream.ReadExactly(header);
        var dataLength = fileLength - 8 - (long)headerLength;
        var (entries, metadata) = ParseHeader(path, header, dataLength);

        var parameters = new List<KeyValuePair<string, Tensor>>();
        var state = new List<KeyValuePair<string, Tensor>>();
        var opt = new List<KeyValuePair<string, Tensor>>();
        var dataStart = 8 + (long)headerLength;
        using var scope = torch.NewDisposeScope();
        foreach (var e in entries)
        {
            var tensor = torch.empty(e.Shape, e.DType);
            var size = e.End - e.Begin;
            if (size > 0)
            {
                if (size > int.MaxValue) throw new CheckpointException(path, $"entry '{e.Name}' has {size} bytes; tensors over 2 GB are not supported.");
                var buffer = new byte[size];
                stream.Seek(dataStart + e.Begin, SeekOrigin.Begin);
                stream.ReadExactly(buffer);
                tensor.bytes = buffer;
            }
            if (e.Name.StartsWith(StatePrefix, StringComparison.Ordinal)) state.Add(new(e.Name[StatePrefix.Length..], tensor));
            else if (e.Name.StartsWith(OptStatePrefix, StringComparison.Ordinal)) opt.Add(new(e.Name[OptStatePrefix.Length..], tensor));
            else if (e.Name.StartsWith(ParamsPrefix, StringComparison.Ordinal)) parameters.Add(new(e.Name[ParamsPrefix.Length..], tensor));
            else parameters.Add(new(e.Name, tensor));
        }

        Params Build(List<KeyValuePair<string, Tensor>> items, string what)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (k, _) in items)
                if (!seen.Add(k)) throw new CheckpointException(path, $"holds {what} '{k}' twice (once with and once without the '{ParamsPrefix}' prefix).");
            return Params.Create(items);
        }
        var result = new CheckpointContents(path, Build(parameters, "parameter"), Build(state, "state"), Build(opt, "optimizer state"), metadata);
        foreach (var t in result.Params.Values.Concat(result.State.Values).Concat(result.OptState.Values)) t.MoveToOuterDisposeScope();
        return result;
    }

    private static (List<Entry> Entries, ImmutableSortedDictionary<string, string> Metadata) ParseHeader(string path, byte[] header, long dataLength)
    {
        JsonDocument doc;
        try
        {
            var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(header);
            doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (Exception e) when (e is JsonException or DecoderFallbackException or ArgumentException)
        {
            throw new CheckpointException(path, "is corrupt: its header is not valid UTF-8 JSON (" + e.Message + ").", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointException(path, "is corrupt: its header is not a JSON object.");
            var entries = new List<Entry>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            var metadata = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (!names.Add(property.Name)) throw new CheckpointException(path, $"is corrupt: its header names '{property.Name}' twice.");
                if (property.Name == MetadataKey)
                {
                    if (property.Value.ValueKind != JsonValueKind.Object) throw new CheckpointException(path, "is corrupt: '__metadata__' is not an object of strings.");
                    foreach (var m in property.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String) throw new CheckpointException(path, $"is corrupt: metadata '{m.Name}' is not a string.");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                entries.Add(ParseEntry(path, property, dataLength));
            }

            // The data must be covered exactly: entries back to back from 0 to the end, no overlap, no hole.
            long expected = 0;
            foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
            {
                if (e.Begin != expected)
                    throw new CheckpointException(path, e.Begin < expected
                        ? $"is corrupt: entry '{e.Name}' (bytes {e.Begin}..{e.End}) overlaps another entry."
                        : $"is corrupt: bytes {expected}..{e.Begin} of the data belong to no entry.");
                expected = e.End;
            }
            if (expected != dataLength)
                throw new CheckpointException(path, $"is corrupt or truncated: the header describes {expected} bytes of data but the file holds {dataLength}.");
            return (entries, metadata.ToImmutable());
        }
    }

    private static Entry ParseEntry(string path, JsonProperty property, long dataLength)
    {
        var name = property.Name;
        var v = property.Value;
        if (v.ValueKind != JsonValueKind.Object) throw new CheckpointException(path, $"is corrupt: entry '{name}' is not a JSON object.");
        if (!v.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw new CheckpointException(path, $"is corrupt: entry '{name}' has no string 'dtype'.");
        var dtypeName = dtypeElement.GetString()!;
        if (!SafeTensorsDType.TryParse(dtypeName, out var dtype, out var elementSize))
            throw new CheckpointException(path, $"entry '{name}' has dtype '{dtypeName}', which is not supported (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL).");
        var shape = ReadLongs(path, name, v, "shape", null);
        var offsets = ReadLongs(path, name, v, "data_offsets", 2);
        var (begin, end) = (offsets[0], offsets[1]);
        if (begin > end || end > dataLength)
            throw new CheckpointException(path, $"is corrupt or truncated: entry '{name}' claims bytes {begin}..{end} but the data section has {dataLength} bytes.");
        long bytes = elementSize;
        try
        {
            foreach (var d in shape) bytes = checked(bytes * d);
        }
        catch (OverflowException)
        {
            throw new CheckpointException(path, $"is corrupt: entry '{name}' has the impossible shape {ShapeText.Format(shape)}.");
        }
        if (bytes != end - begin)
            throw new CheckpointException(path, $"is corrupt: entry '{name}' is {dtypeName} {ShapeText.Format(shape)}, which needs {bytes} bytes, but its data_offsets span {end - begin}.");
        return new Entry(name, dtype, elementSize, shape, begin, end);
    }

    private static long[] ReadLongs(string path, string name, JsonElement entry, string field, int? count)
    {
        if (!entry.TryGetProperty(field, out var array) || array.ValueKind != JsonValueKind.Array)
            throw new CheckpointException(path, $"is corrupt: entry '{name}' has no '{field}' array.");
        var values = new List<long>();
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out var x) || x < 0)
                throw new CheckpointException(path, $"is corrupt: entry '{name}' has a '{field}' that is not a list of non-negative integers.");
            values.Add(x);
        }
        if (count is { } n && values.Count != n)
            throw new CheckpointException(path, $"is corrupt: entry '{name}' needs exactly {n} '{field}', got {values.Count}.");
        if (values.Count > 64) throw new CheckpointException(path, $"is corrupt: entry '{name}' has {values.Count} dimensions.");
        return values.ToArray();
    }

    private static void RequireStructure(string path, string what, Params expected, Params actual)
    {
        var missing = expected.Keys.Where(k => !actual.ContainsKey(k)).ToList();
        var unexpected = actual.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        var different = expected.Where(kv => actual.TryGetValue(kv.Key, out var a)
                && (a.dtype != kv.Value.dtype || !ShapeText.SameShape(a.shape, kv.Value.shape)))
            .Select(kv => $"'{kv.Key}' is {actual[kv.Key].dtype} {ShapeText.Format(actual[kv.Key].shape)} in the file but {kv.Value.dtype} {ShapeText.Format(kv.Value.shape)} in the model")
            .ToList();
        if (missing.Count == 0 && unexpected.Count == 0 && different.Count == 0) return;
        var parts = new List<string>();
        if (missing.Count > 0) parts.Add($"missing {missing.Count}: {string.Join(", ", missing.Take(5).Select(k => "'" + k + "'"))}");
        if (unexpected.Count > 0) parts.Add($"unexpected {unexpected.Count}: {string.Join(", ", unexpected.Take(5).Select(k => "'" + k + "'"))}");
        if (different.Count > 0) parts.Add(string.Join("; ", different.Take(5)));
        throw new CheckpointException(path, $"was saved from a different model: its {what} do not match ({string.Join("; ", parts)}).");
    }

    private static void Write(string path, List<(string Name, Tensor Tensor)> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full) ?? ".";
        var contiguous = new List<Tensor>(entries.Count);
        using var headerStream = new MemoryStream();
        using (var json = new Utf8JsonWriter(headerStream))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) json.WriteString(k, v);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, tensor) in entries)
            {
                var dtypeName = SafeTensorsDType.NameOf(tensor.dtype)
                    ?? throw new CheckpointException(full, $"cannot store '{name}': dtype {tensor.dtype} has no safetensors equivalent.");
                var c = tensor.detach().cpu().contiguous();
                contiguous.Add(c);
                var size = c.numel() * c.ElementSize;
                json.WriteStartObject(name);
                json.WriteString("dtype", dtypeName);
                json.WriteStartArray("shape");
                foreach (var d in c.shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + size);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += size;
            }
            json.WriteEndObject();
        }
        // Pad the header with spaces so the data starts 8-byte aligned (allowed by the format).
        while (headerStream.Length % 8 != 0) headerStream.WriteByte((byte)' ');

        var temp = Path.Combine(directory, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)headerStream.Length);
                file.Write(length);
                headerStream.Position = 0;
                headerStream.CopyTo(file);
                foreach (var c in contiguous)
                    if (c.numel() > 0) file.Write(c.bytes);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new CheckpointException(full, "could not be written: " + e.Message, e);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException)
        {
            // Best effort: the temporary file is named so it cannot be mistaken for a checkpoint.
        }
    }
}
