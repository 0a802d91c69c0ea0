using System.IO.Compression;
using MiniHaiku.Checkpoints;
using static TorchSharp.torch;

namespace MiniHaiku.Import;

/// <summary>
/// Reads every array of a weight file written by another framework, by name: a NumPy <c>.npz</c> archive (what
/// <c>np.savez</c>/<c>np.savez_compressed</c> write for a flattened Haiku parameter dict, entries stored or
/// deflate-compressed), a single <c>.npy</c> array, or a <c>.safetensors</c> file (e.g. a PyTorch
/// <c>state_dict</c> saved with <c>safetensors.torch.save_file</c>).
/// </summary>
/// <remarks>
/// The format is chosen by the file's first bytes (zip, npy magic, else safetensors), not its extension.
/// Entries of an <c>.npz</c> are named without their <c>.npy</c> suffix (<c>mlp/~/linear_0/w</c>). A safetensors
/// file is parsed by <see cref="Checkpoint.Load(string)"/>; entries it files under <c>state/</c> or <c>opt_state/</c>
/// (our own checkpoints) keep that prefix. The returned <see cref="Params"/> owns new CPU tensors: dispose them
/// with <see cref="Params.DisposeTensors"/> when done.
/// </remarks>
/// <example>
/// <code>
/// var arrays = WeightFile.Read("haiku_params.npz");
/// foreach (var (name, t) in arrays) Console.WriteLine($"{name} {t.dtype} ({string.Join(", ", t.shape)})");
/// </code>
/// </example>
public static class WeightFile
{
    private const long MaxEntryBytes = int.MaxValue;

    /// <summary>Reads every array of <paramref name="path"/>.</summary>
    /// <param name="path">An <c>.npz</c>, <c>.npy</c> or <c>.safetensors</c> file.</param>
    /// <returns>The arrays by name (an <c>.npy</c> file gives one array named after the file, without extension).</returns>
    /// <exception cref="WeightFileException">The file is missing, unreadable, or not a valid file of these formats; the message names the file and entry.</exception>
    public static Params Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path)) throw new WeightFileException(path, null, "is a folder, not a weight file.");
        if (!File.Exists(path)) throw new WeightFileException(path, null, "does not exist.");
        byte[] head = new byte[6];
        int read;
        try
        {
            using var probe = File.OpenRead(path);
            read = probe.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WeightFileException(path, null, "cannot be opened: " + e.Message, e);
        }
        if (read >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] is 3 or 5 or 7 or 8 or 1) return ReadNpz(path);
        if (read >= 6 && head[0] == 0x93 && head[1] == 'N') return ReadNpy(path);
        return ReadSafeTensors(path);
    }

    private static Params ReadNpy(string path)
    {
        var bytes = ReadAll(path);
        var t = Npy.Parse(bytes, path);
        return Params.Create([new(Path.GetFileNameWithoutExtension(path), t)]);
    }

    private static byte[] ReadAll(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WeightFileException(path, null, "cannot be read: " + e.Message, e);
        }
    }

    private static Params ReadSafeTensors(string path)
    {
        CheckpointContents c;
        try
        {
            c = Checkpoint.Load(path);
        }
        catch (CheckpointException e)
        {
            var problem = e.Message.StartsWith($"Checkpoint '{path}': ", StringComparison.Ordinal) ? e.Message[$"Checkpoint '{path}': ".Length..] : e.Message;
            throw new WeightFileException(path, null, "is not an npz, npy or valid safetensors file: " + problem, e);
        }
        var all = c.Params.AsEnumerable()
            .Concat(c.State.Select(kv => KeyValuePair.Create(Checkpoint.StatePrefix + kv.Key, kv.Value)))
            .Concat(c.OptState.Select(kv => KeyValuePair.Create(Checkpoint.OptStatePrefix + kv.Key, kv.Value)));
        return Params.Create(all);
    }

    private static Params ReadNpz(string path)
    {
        var result = new List<KeyValuePair<string, Tensor>>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        string? current = null;
        try
        {
            using var archive = ZipFile.OpenRead(path);
            foreach (var entry in archive.Entries)
            {
                current = entry.FullName;
                if (entry.FullName.EndsWith('/')) continue; // a folder entry
                if (!entry.FullName.EndsWith(".npy", StringComparison.Ordinal))
                    throw new WeightFileException(path, entry.FullName, "is not an .npy array; an .npz archive holds only name.npy entries.");
                var name = entry.FullName[..^4];
                if (!names.Add(name)) throw new WeightFileException(path, entry.FullName, "appears twice in the archive.");
                if (entry.Length > MaxEntryBytes) throw new WeightFileException(path, entry.FullName, $"holds {entry.Length} bytes; arrays over 2 GB are not supported.");
                var bytes = new byte[entry.Length];
                using (var s = entry.Open())
                {
                    var n = s.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
                    if (n < bytes.Length) throw new WeightFileException(path, entry.FullName, $"is truncated: {n} of {bytes.Length} bytes could be read.");
                }
                result.Add(new(name, Npy.Parse(bytes, path, entry.FullName)));
            }
            current = null;
            return Params.Create(result);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException or UnauthorizedAccessException)
        {
            foreach (var (_, t) in result) t.Dispose();
            throw new WeightFileException(path, current, (current is null ? "is not a readable zip (npz) archive: " : "cannot be unpacked: ") + e.Message, e);
        }
        catch
        {
            foreach (var (_, t) in result) t.Dispose();
            throw;
        }
    }
}
