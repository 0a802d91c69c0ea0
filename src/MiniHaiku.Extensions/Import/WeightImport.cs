using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Import;

/// <summary>
/// Loads weights trained elsewhere (a PyTorch <c>state_dict</c> as safetensors, a Haiku parameter dict as
/// <c>.npz</c>) into a MiniHaiku model, through a <see cref="WeightMap"/>.
/// </summary>
/// <remarks>
/// Each file entry the map sends to a parameter of <c>target</c> is converted to Haiku's layout, checked against the
/// parameter's shape (shapes that differ only in axes of size 1, such as a PyTorch bias <c>(C,)</c> for a channels-first
/// bias <c>(C, 1, 1)</c>, are reshaped) and dtype, and copied onto the parameter's device. Floating-point values are cast to the
/// parameter's floating-point dtype (e.g. a float16 file into a float32 model) unless <c>castFloatingPoint</c> is
/// false; any other dtype difference is a mismatch. In <see cref="ImportMode.Strict"/> mode anything short of a
/// complete, exact import throws a <see cref="WeightImportException"/> listing every problem; in
/// <see cref="ImportMode.Partial"/> mode the parameters that could not be loaded keep their values and the
/// <see cref="ImportReport"/> says which. The result's imported tensors are new; the target's other tensors are
/// shared, not copied.
/// </remarks>
/// <example>
/// <code>
/// var parameters = model.Init(seed: 0, example);
/// var (imported, report) = WeightImport.Load("haiku_params.npz", parameters, WeightMap.Haiku(parameters));
/// Console.WriteLine(report);
/// </code>
/// </example>
public static class WeightImport
{
    /// <summary>Reads <paramref name="path"/> (see <see cref="WeightFile.Read"/>) and imports its arrays.</summary>
    /// <param name="path">An <c>.npz</c>, <c>.npy</c> or <c>.safetensors</c> file.</param>
    /// <param name="target">The model's parameters (shapes, dtypes and devices to fill; e.g. from <c>Init</c>).</param>
    /// <param name="map">Where each entry goes.</param>
    /// <param name="mode">Strict (the default) or partial.</param>
    /// <param name="castFloatingPoint">Whether a floating-point entry may be cast to the parameter's floating-point dtype.</param>
    /// <returns>The parameters and the report.</returns>
    /// <exception cref="WeightFileException">The file cannot be read.</exception>
    /// <exception cref="WeightImportException">Strict mode and the import is not complete and exact, or the map sends two entries to one parameter.</exception>
    public static ImportResult Load(string path, Params target, WeightMap map, ImportMode mode = ImportMode.Strict, bool castFloatingPoint = true)
    {
        var source = WeightFile.Read(path);
        try
        {
            return Import(source, target, map, mode, path, castFloatingPoint);
        }
        finally
        {
            source.DisposeTensors();
        }
    }

    /// <summary>Imports arrays already in memory.</summary>
    /// <param name="source">The arrays by name (not changed; the result holds copies).</param>
    /// <param name="target">The model's parameters.</param>
    /// <param name="map">Where each entry goes.</param>
    /// <param name="mode">Strict (the default) or partial.</param>
    /// <param name="origin">A name for the source in messages, e.g. its file.</param>
    /// <param name="castFloatingPoint">Whether a floating-point entry may be cast to the parameter's floating-point dtype.</param>
    /// <returns>The parameters and the report.</returns>
    /// <exception cref="WeightImportException">Strict mode and the import is not complete and exact, or the map sends two entries to one parameter.</exception>
    public static ImportResult Import(Params source, Params target, WeightMap map, ImportMode mode = ImportMode.Strict, string origin = "memory",
        bool castFloatingPoint = true)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(origin);
        var loaded = new List<ImportedEntry>();
        var skipped = new List<SkippedEntry>();
        var mismatched = new List<MismatchedEntry>();
        var claimedBy = new Dictionary<string, string>(StringComparer.Ordinal);
        var values = new List<KeyValuePair<string, Tensor>>();
        try
        {
            foreach (var (name, tensor) in source)
            {
                if (map.IsSkipped(name))
                {
                    skipped.Add(new SkippedEntry(name, "the map skips it"));
                    continue;
                }
                if (map.Resolve(name) is not { } to)
                {
                    skipped.Add(new SkippedEntry(name, "no rule of the map applies to it"));
                    continue;
                }
                if (!target.TryGetValue(to.Path, out var expected))
                {
                    skipped.Add(new SkippedEntry(name, $"the map sends it to '{to.Path}', which the model does not have{Nearest(to.Path, target)}"));
                    continue;
                }
                if (claimedBy.TryGetValue(to.Path, out var other))
                    throw new WeightImportException($"Import from '{origin}': the map sends both '{other}' and '{name}' to '{to.Path}'. Fix the rename map so each parameter gets one entry.");
                claimedBy[to.Path] = name;

                Tensor converted;
                try
                {
                    converted = WeightLayouts.ToHaiku(to.Layout, tensor);
                }
                catch (WeightImportException e)
                {
                    mismatched.Add(new MismatchedEntry(name, to.Path, expected.shape, expected.dtype, tensor.shape, tensor.dtype, $"layout {to.Layout}: {e.Message}"));
                    continue;
                }
                if (!converted.shape.SequenceEqual(expected.shape) && SameUpToUnitAxes(converted.shape, expected.shape))
                {
                    var reshaped = converted.reshape(expected.shape);
                    converted.Dispose();
                    converted = reshaped;
                }
                using (converted)
                {
                    var reason = Mismatch(converted, expected, castFloatingPoint);
                    if (reason is not null)
                    {
                        mismatched.Add(new MismatchedEntry(name, to.Path, expected.shape, expected.dtype, converted.shape, converted.dtype, reason));
                        continue;
                    }
                    var value = converted.to(expected.dtype, expected.device, copy: true).contiguous();
                    values.Add(new(to.Path, value));
                    loaded.Add(new ImportedEntry(name, to.Path, value.shape, tensor.dtype, value.dtype, to.Layout));
                }
            }
        }
        catch
        {
            foreach (var (_, v) in values) v.Dispose();
            throw;
        }
        var filled = values.Select(v => v.Key).ToHashSet(StringComparer.Ordinal);
        var missing = target.Keys.Where(k => !filled.Contains(k)).ToList();
        var report = new ImportReport(origin, loaded, skipped, mismatched, missing);
        if (mode == ImportMode.Strict && !report.IsComplete)
        {
            foreach (var (_, v) in values) v.Dispose();
            throw new WeightImportException(
                $"{report}\nA strict import needs every parameter filled and every entry used. Fix the rename map (WeightMap), " +
                "skip entries on purpose with WeightMap.Skip, or pass ImportMode.Partial to keep the model's values where the file does not fit.", report);
        }
        return new ImportResult(target.Merge(Params.Create(values)), report);
    }

    /// <summary>Whether two shapes differ only in axes of size 1 (a PyTorch bias (C,) and Haiku's channels-first bias (C, 1, 1)).</summary>
    private static bool SameUpToUnitAxes(long[] a, long[] b) => a.Where(d => d != 1).SequenceEqual(b.Where(d => d != 1));

    private static string? Mismatch(Tensor actual, Tensor expected, bool castFloatingPoint)
    {
        var shapeDiffers = !actual.shape.SequenceEqual(expected.shape);
        var dtypeOk = actual.dtype == expected.dtype
            || (castFloatingPoint && actual.is_floating_point() && expected.is_floating_point());
        if (!shapeDiffers && dtypeOk) return null;
        var parts = new List<string>();
        if (shapeDiffers) parts.Add($"shape {ShapeText.Format(actual.shape)} in the file but {ShapeText.Format(expected.shape)} in the model");
        if (!dtypeOk) parts.Add($"dtype {actual.dtype} in the file but {expected.dtype} in the model");
        var hint = shapeDiffers && actual.dim() == 2 && actual.shape[0] == expected.shape[^1] && actual.shape[1] == expected.shape[0] && expected.dim() == 2
            ? " (transposed: a PyTorch [out, in] weight? use WeightLayout.TorchLinear)"
            : "";
        return string.Join("; ", parts) + hint;
    }

    private static string Nearest(string path, Params target)
    {
        var leaf = path[(path.LastIndexOf('/') + 1)..];
        var near = target.Keys.Where(k => k.EndsWith("/" + leaf, StringComparison.Ordinal)).Take(3).ToList();
        return near.Count == 0 ? "" : $" (paths ending in '/{leaf}': {string.Join(", ", near.Select(n => "'" + n + "'"))})";
    }
}
