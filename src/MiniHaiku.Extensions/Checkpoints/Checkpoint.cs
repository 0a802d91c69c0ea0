using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MiniHaiku.Optim;
using MiniHaiku.Training;
using Microsoft.Win32.SafeHandles;
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
/// target, so a crash never leaves a half-written checkpoint; a failed save deletes its temporary file,
/// and the next save of the same target deletes temporary files that an interrupted (killed) save left.
/// The SHA-256 digest of the data section is stored in <c>__metadata__</c> under
/// <see cref="DigestMetadataKey"/> and verified on load when present (files from other tools have none and
/// still load). Loading checks everything before trusting it (lengths, JSON, duplicate keys, dtypes,
/// shapes, byte ranges, the digest) and reports any problem as a <see cref="CheckpointException"/> naming
/// the file.
/// </remarks>
public static class Checkpoint
{
    /// <summary>The entry-name prefix of parameters.</summary>
    public const string ParamsPrefix = "params/";

    /// <summary>The entry-name prefix of model state.</summary>
    public const string StatePrefix = "state/";

    /// <summary>The entry-name prefix of the flattened optimizer state.</summary>
    public const string OptStatePrefix = "opt_state/";

    /// <summary>The <c>__metadata__</c> key of the data section's SHA-256 digest (64 lowercase hex digits).</summary>
    public const string DigestMetadataKey = "data_sha256";

    /// <summary>The <c>__metadata__</c> key of <see cref="TrainState.SkippedSteps"/> in a saved <see cref="TrainState"/>.</summary>
    private const string SkippedStepsKey = "skipped_steps";

    private const string MetadataKey = "__metadata__";
    private const long MaxHeaderBytes = 100_000_000;
    private static readonly string DigestPlaceholder = new('0', 64);

    /// <summary>Saves a checkpoint atomically (temporary file, flush, rename).</summary>
    /// <param name="path">The target file; replaced if it exists.</param>
    /// <param name="parameters">The parameters.</param>
    /// <param name="state">The model state, or null.</param>
    /// <param name="optState">The optimizer state, or null.</param>
    /// <param name="metadata">String metadata, or null (the key <see cref="DigestMetadataKey"/> is reserved).</param>
    /// <param name="writeDigest">Whether to store the SHA-256 digest of the data (verified on load); true by default.</param>
    /// <exception cref="CheckpointException">A tensor has a dtype safetensors cannot store, the metadata uses the reserved key, or the file cannot be written.</exception>
    public static void Save(string path, Params parameters, Params? state = null, OptState? optState = null, IReadOnlyDictionary<string, string>? metadata = null,
        bool writeDigest = true)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(parameters);
        if (metadata is not null && metadata.ContainsKey(DigestMetadataKey))
            throw new CheckpointException(path, $"metadata key '{DigestMetadataKey}' is reserved for the data digest; rename that entry.");
        using var scope = torch.NewDisposeScope();
        var entries = new List<(string Name, Tensor Tensor)>();
        foreach (var (k, v) in parameters) entries.Add((ParamsPrefix + k, v));
        if (state is not null) foreach (var (k, v) in state) entries.Add((StatePrefix + k, v));
        if (optState is not null) foreach (var (k, v) in optState.ToParams()) entries.Add((OptStatePrefix + k, v));
        Write(path, entries, metadata, writeDigest);
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
        if (trainState.SkippedSteps != 0) meta[SkippedStepsKey] = trainState.SkippedSteps.ToString(CultureInfo.InvariantCulture);
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
        try
        {
            return ToTrainState(path, c, template);
        }
        catch
        {
            DisposeTensors(c);
            throw;
        }
    }

    /// <summary>
    /// Loads a checkpoint into a <see cref="TrainState"/> shaped like <paramref name="template"/> and places it on
    /// <paramref name="device"/> (the template may be on any device: only keys, shapes and dtypes are compared).
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="template">A state of the same model and optimizer.</param>
    /// <param name="device">Where to put the tensors, e.g. <c>torch.CUDA</c>; null for the CPU.</param>
    /// <returns>The saved training state on <paramref name="device"/>.</returns>
    /// <exception cref="CheckpointException">The file is unreadable or does not fit the template.</exception>
    public static TrainState LoadTrainState(string path, TrainState template, Device? device)
    {
        var onCpu = LoadTrainState(path, template);
        if (device is null || device.type == DeviceType.CPU) return onCpu;
        try
        {
            return onCpu.To(device);
        }
        finally
        {
            onCpu.DisposeTensors();
        }
    }

    /// <summary>Reads only the string metadata of a checkpoint (its header), without loading any tensor.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The <c>__metadata__</c> entries.</returns>
    /// <exception cref="CheckpointException">The file is missing, truncated or its header is corrupt.</exception>
    public static ImmutableSortedDictionary<string, string> ReadMetadata(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = OpenForReading(path);
        try
        {
            var fileLength = stream.Length;
            if (fileLength < 8) throw new CheckpointException(path, $"is truncated: {fileLength} bytes, but a safetensors file starts with an 8-byte header length.");
            Span<byte> lengthBytes = stackalloc byte[8];
            stream.ReadExactly(lengthBytes);
            var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
            if (headerLength > (ulong)(fileLength - 8) || headerLength > MaxHeaderBytes || headerLength < 2)
                throw new CheckpointException(path, $"is truncated or corrupt: its header claims {headerLength} bytes and {fileLength - 8} follow.");
            var header = new byte[headerLength];
            stream.ReadExactly(header);
            return ParseHeader(path, header, fileLength - 8 - (long)headerLength).Metadata;
        }
        catch (IOException e)
        {
            throw new CheckpointException(path, "could not be read: " + e.Message, e);
        }
    }

    private static void DisposeTensors(CheckpointContents c)
    {
        c.Params.DisposeTensors();
        c.State.DisposeTensors();
        c.OptState.DisposeTensors();
    }

    private static TrainState ToTrainState(string path, CheckpointContents c, TrainState template)
    {
        if (!c.Metadata.TryGetValue("step", out var stepText) || !long.TryParse(stepText, NumberStyles.None, CultureInfo.InvariantCulture, out var step)
            || !c.Metadata.TryGetValue("rng", out var rngText) || rngText.Length != 32
            || !ulong.TryParse(rngText.AsSpan(0, 16), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var hi)
            || !ulong.TryParse(rngText.AsSpan(16), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var lo))
            throw new CheckpointException(path, "has no valid 'step' and 'rng' metadata: it was not saved from a TrainState.");
        long skipped = 0;
        if (c.Metadata.TryGetValue(SkippedStepsKey, out var skippedText) && !long.TryParse(skippedText, NumberStyles.None, CultureInfo.InvariantCulture, out skipped))
            throw new CheckpointException(path, $"has an invalid '{SkippedStepsKey}' metadata value '{skippedText}'.");
        var optState = c.RestoreOptState(template.OptState);
        // The flat entries the structured state does not hold (its counts are plain numbers) are not returned: free them.
        var held = new HashSet<Tensor>(optState.Tensors(), ReferenceEqualityComparer.Instance);
        foreach (var t in c.OptState.Values)
            if (!held.Contains(t)) t.Dispose();
        return new TrainState(c.Params, c.State, optState, step, new RngKey(hi, lo)) { SkippedSteps = skipped };
    }

    /// <summary>
    /// Loads a checkpoint and checks that it belongs to the model whose parameters (and state) look
    /// like <paramref name="expectedParams"/>: the same keys, shapes and dtypes. Optimizer-state entries are
    /// checked too: each per-parameter slot must name one of these parameters and have its shape and
    /// dtype (or be a boolean per-parameter flag), each count an int64 scalar and each named number a float64 scalar.
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
        try
        {
            RequireStructure(path, "parameters", expectedParams, c.Params);
            if (expectedState is not null) RequireStructure(path, "state", expectedState, c.State);
            RequireOptStateFits(path, expectedParams, c.OptState);
            return c;
        }
        catch
        {
            DisposeTensors(c);
            throw;
        }
    }

    /// <summary>Loads a checkpoint (any safetensors file: entries without a known prefix count as parameters).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The contents.</returns>
    /// <exception cref="CheckpointException">The file is missing, truncated, corrupt, or its header is inconsistent.</exception>
    public static CheckpointContents Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!BitConverter.IsLittleEndian) throw new CheckpointException(path, "loading needs a little-endian machine.");
        var stream = OpenForReading(path);
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

    private const int LinuxOpenReadOnly = 0, LinuxOpenNonBlocking = 0x800, LinuxOpenCloseOnExec = 0x80000;

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Globalization", "CA2101:Specify marshaling for P/Invoke string arguments",
        Justification = "The path is marshalled as UTF-8 (LPUTF8Str); CA2101 does not recognise it (dotnet/roslyn-analyzers#7502).")]
    private static extern int LinuxOpen([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    /// <summary>
    /// Opens <paramref name="path"/> for reading, refusing anything that is not a seekable file. On Linux the file is
    /// opened non-blocking, so a FIFO without a writer is reported instead of blocking forever.
    /// </summary>
    private static FileStream OpenForReading(string path)
    {
        if (Directory.Exists(path)) throw new CheckpointException(path, "is a folder, not a checkpoint file.");
        FileStream stream;
        try
        {
            if (OperatingSystem.IsLinux())
            {
                var fd = LinuxOpen(path, LinuxOpenReadOnly | LinuxOpenNonBlocking | LinuxOpenCloseOnExec);
                if (fd < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    throw new CheckpointException(path, "cannot be opened: " + Marshal.GetPInvokeErrorMessage(errno) +
                        (File.Exists(path) || errno != 2 ? "." : " (no such file)."));
                }
                var handle = new SafeFileHandle(fd, ownsHandle: true);
                try
                {
                    stream = new FileStream(handle, FileAccess.Read, bufferSize: 1 << 16);
                }
                catch
                {
                    handle.Dispose();
                    throw;
                }
            }
            else
            {
                stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CheckpointException(path, "cannot be opened: " + e.Message, e);
        }
        if (!stream.CanSeek)
        {
            stream.Dispose();
            throw new CheckpointException(path, "is not a regular file (a pipe, socket or terminal?): checkpoints are read from seekable files. Copy it to a file first.");
        }
        return stream;
    }

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
        byte[]? expectedDigest = null;
        if (metadata.TryGetValue(DigestMetadataKey, out var digestText))
        {
            if (digestText.Length != 64 || !digestText.All(char.IsAsciiHexDigit))
                throw new CheckpointException(path, $"is corrupt: metadata '{DigestMetadataKey}' must be 64 hex digits (a SHA-256 digest), got '{digestText}'.");
            expectedDigest = Convert.FromHexString(digestText);
        }
        using var digest = expectedDigest is null ? null : IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var scope = torch.NewDisposeScope();
        // In file order, so the digest sees the data section from start to end (the header covers it exactly).
        foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            var size = e.End - e.Begin;
            if (size > int.MaxValue) throw new CheckpointException(path, $"entry '{e.Name}' has {size} bytes; tensors over 2 GB are not supported.");
            var tensor = torch.empty(e.Shape, e.DType);
            if (size > 0)
            {
                var buffer = new byte[size];
                stream.Seek(dataStart + e.Begin, SeekOrigin.Begin);
                stream.ReadExactly(buffer);
                digest?.AppendData(buffer);
                tensor.bytes = buffer;
            }
            if (e.Name.StartsWith(StatePrefix, StringComparison.Ordinal)) state.Add(new(e.Name[StatePrefix.Length..], tensor));
            else if (e.Name.StartsWith(OptStatePrefix, StringComparison.Ordinal)) opt.Add(new(e.Name[OptStatePrefix.Length..], tensor));
            else if (e.Name.StartsWith(ParamsPrefix, StringComparison.Ordinal)) parameters.Add(new(e.Name[ParamsPrefix.Length..], tensor));
            else parameters.Add(new(e.Name, tensor));
        }

        if (digest is not null && !CryptographicOperations.FixedTimeEquals(digest.GetHashAndReset(), expectedDigest))
            throw new CheckpointException(path, $"is corrupt: its data does not match the SHA-256 digest stored in its metadata ('{DigestMetadataKey}'), " +
                "so some bytes changed after it was written (disk or transfer error?). Use another copy of this checkpoint.");

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
                        if (metadata.ContainsKey(m.Name)) throw new CheckpointException(path, $"is corrupt: its metadata names '{m.Name}' twice.");
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
        var fields = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in v.EnumerateObject())
            if (!fields.Add(field.Name)) throw new CheckpointException(path, $"is corrupt: entry '{name}' names '{field.Name}' twice.");
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
        // The element count must fit in 64 bits even when a zero dimension makes it 0 (torch.empty rejects such shapes).
        long bytes = elementSize, nonZero = elementSize;
        try
        {
            foreach (var d in shape)
            {
                bytes = checked(bytes * d);
                if (d != 0) nonZero = checked(nonZero * d);
            }
        }
        catch (OverflowException)
        {
            throw new CheckpointException(path, $"is corrupt: entry '{name}' has the impossible shape {ShapeText.Format(shape)} (its element count overflows 64 bits).");
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

    /// <summary>
    /// Checks flattened optimizer-state entries (see <see cref="OptState.ToParams"/>) against the parameters: a
    /// <c>…count</c> entry is an int64 scalar, a <c>…#name</c> entry (a named number) a float64 scalar, any other names a
    /// parameter (<c>{inner}/{slot}/{path}</c>) and has its shape and dtype, or is a boolean scalar (a per-parameter flag,
    /// like <c>ZeroNans</c>' <c>found_nan</c>).
    /// </summary>
    // Optimizer-state entries: a count ("count", "…/count") is an Int64 scalar, a named number ("…#name") a Float64
    // scalar, and a per-parameter entry ("…/~/path") must name a parameter of the model. Shapes are not compared:
    // many slots are legitimately not parameter-shaped (Adafactor's factored moments, SM3's accumulators, L-BFGS's
    // memories, per-tensor norms); GradientTransformation.Update names a slot that does not fit its gradient.
    // Other keys are a transformation's own (Flatten's "flat", a line search's "learning_rate").
    private static void RequireOptStateFits(string path, Params expectedParams, Params optState)
    {
        var problems = new List<string>();
        foreach (var (key, t) in optState)
        {
            if (key[(key.LastIndexOf('/') + 1)..].StartsWith('#'))
            {
                // A named number of the state (OptState.Numbers: counters, hyper-parameters), saved as a float64 scalar.
                if (t.dtype != ScalarType.Float64 || t.Dimensions != 0)
                    problems.Add($"'{key}' is {t.dtype} {ShapeText.Format(t.shape)} but a number is a Float64 scalar");
                continue;
            }
            var tilde = key.IndexOf('~', StringComparison.Ordinal);
            if (tilde < 0)
            {
                if (key == "count" || key.EndsWith("/count", StringComparison.Ordinal))
                {
                    if (t.dtype != ScalarType.Int64 || t.Dimensions != 0)
                        problems.Add($"'{key}' is {t.dtype} {ShapeText.Format(t.shape)} but a count is an Int64 scalar");
                }
                continue;
            }
            var parameter = key[tilde..];
            if (!expectedParams.ContainsKey(parameter))
                problems.Add($"'{key}' is a slot of '{parameter}', which the model does not have");
        }
        if (problems.Count > 0)
            throw new CheckpointException(path, $"was saved from a different model: its optimizer state does not fit these parameters ({problems.Count} entries: {string.Join("; ", problems.Take(5))}).");
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

    private static void Write(string path, List<(string Name, Tensor Tensor)> entries, IReadOnlyDictionary<string, string>? metadata, bool writeDigest)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full) ?? ".";
        var contiguous = new List<Tensor>(entries.Count);
        var meta = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (metadata is not null) foreach (var (k, v) in metadata) meta[k] = v;
        // The digest is only known once the data is written: reserve its place with zeros, patch it in afterwards.
        if (writeDigest) meta[DigestMetadataKey] = DigestPlaceholder;
        using var headerStream = new MemoryStream();
        using (var json = new Utf8JsonWriter(headerStream))
        {
            json.WriteStartObject();
            if (meta.Count > 0)
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (k, v) in meta) json.WriteString(k, v);
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
        var header = headerStream.ToArray();
        // Keys and values are JSON-escaped, so the quoted key followed by the quoted zeros occurs only where we wrote it.
        var digestAt = writeDigest
            ? header.AsSpan().IndexOf(Encoding.UTF8.GetBytes($"\"{DigestMetadataKey}\":\"{DigestPlaceholder}\"")) + DigestMetadataKey.Length + 4
            : -1;

        RemoveStaleTempFiles(directory, Path.GetFileName(full));
        var temp = Path.Combine(directory, TempPrefix(Path.GetFileName(full)) + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
                file.Write(length);
                file.Write(header);
                using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                foreach (var c in contiguous)
                {
                    if (c.numel() == 0) continue;
                    var bytes = c.bytes;
                    file.Write(bytes);
                    digest.AppendData(bytes);
                }
                if (writeDigest)
                {
                    file.Seek(8 + digestAt, SeekOrigin.Begin);
                    file.Write(Encoding.ASCII.GetBytes(Convert.ToHexStringLower(digest.GetHashAndReset())));
                }
                file.Flush(flushToDisk: true);
                // Rename while still holding the lock, so a concurrent save never takes this file for a stale one
                // (Unix allows renaming an open file; Windows does not, and renames just after closing).
                if (!OperatingSystem.IsWindows()) File.Move(temp, full, overwrite: true);
            }
            if (OperatingSystem.IsWindows()) File.Move(temp, full, overwrite: true);
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

    /// <summary>The name of a temporary file of <paramref name="fileName"/> up to its 32 hex digits and <c>.tmp</c>.</summary>
    private static string TempPrefix(string fileName) => "." + fileName + ".";

    /// <summary>
    /// Deletes temporary files of <paramref name="fileName"/> that an interrupted save left behind. A save in progress
    /// holds an exclusive lock on its temporary file, so only files nobody holds are deleted.
    /// </summary>
    private static void RemoveStaleTempFiles(string directory, string fileName)
    {
        var prefix = TempPrefix(fileName);
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateFiles(directory, prefix + "*.tmp").ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return; // The save itself reports an unusable folder.
        }
        foreach (var file in candidates)
        {
            var middle = Path.GetFileName(file)[prefix.Length..^".tmp".Length];
            if (middle.Length != 32 || !middle.All(char.IsAsciiHexDigitLower)) continue;
            try
            {
                using (new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.None)) { }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // Locked: another save is writing it right now.
            }
            TryDelete(file);
        }
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the temporary file is named so it cannot be mistaken for a checkpoint.
        }
    }
}
