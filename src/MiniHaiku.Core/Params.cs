using System.Collections;
using System.Collections.Frozen;
using System.Collections.Immutable;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku;

/// <summary>
/// An immutable map from parameter path (e.g. <c>~/Linear_0/__call__/w</c>) to tensor, with keys
/// sorted ordinally. <see cref="Hk.Transform{TIn, TOut}"/>'s <c>Init</c> returns one; <c>Apply</c>
/// reads one. Also used for model state, gradients and optimizer state.
/// </summary>
/// <remarks>
/// Backed by <see cref="ImmutableSortedDictionary{TKey, TValue}"/>: <see cref="With"/> and
/// <see cref="Without"/> cost O(log n) and share structure with the original. The first lookup on
/// an instance builds a hash index with each tensor's shape (O(n)); later lookups are O(1), which is
/// what <c>Apply</c> does for every parameter. A <see cref="Params"/> does not own its tensors: it
/// never disposes them unless you call <see cref="DisposeTensors"/>.
/// </remarks>
public sealed class Params : IReadOnlyDictionary<string, Tensor>
{
    private readonly ImmutableSortedDictionary<string, Tensor> items;
    private FrozenDictionary<string, Entry>? index;

    /// <summary>A parameter with its shape, dtype and position in key order (what a lookup needs, cached).</summary>
    internal readonly record struct Entry(Tensor Tensor, long[] Shape, ScalarType DType, int Index);

    private Params(ImmutableSortedDictionary<string, Tensor> items) => this.items = items;

    // Values are compared by reference. The default comparer would call Tensor.Equals (torch.equal: a full,
    // dtype-promoting value comparison), so SetItem/SetItems would silently keep the old tensor whenever the new
    // one holds equal values (e.g. a Float64 copy of a Float32 tensor), and would compare whole tensors per call.
    private static readonly IEqualityComparer<Tensor> SameTensor = ReferenceEqualityComparer.Instance;

    /// <summary>The empty map.</summary>
    public static Params Empty { get; } = new(ImmutableSortedDictionary.Create<string, Tensor>(StringComparer.Ordinal, SameTensor));

    /// <summary>Builds a map from key/value pairs. Cost: O(n log n).</summary>
    /// <example><code>var p = Params.Create([KeyValuePair.Create("~/linear/w", ones(3, 4)), KeyValuePair.Create("~/linear/b", zeros(4))]);</code></example>
    /// <param name="entries">Path/tensor pairs; a repeated path is an error.</param>
    /// <returns>The map.</returns>
    /// <exception cref="ParamsKeyException">A path appears twice.</exception>
    public static Params Create(IEnumerable<KeyValuePair<string, Tensor>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var b = ImmutableSortedDictionary.CreateBuilder<string, Tensor>(StringComparer.Ordinal, SameTensor);
        foreach (var (k, v) in entries)
        {
            ArgumentNullException.ThrowIfNull(k);
            ArgumentNullException.ThrowIfNull(v);
            if (!b.TryAdd(k, v))
                throw new ParamsKeyException($"Params.Create was given the path '{k}' twice; every parameter path must be unique.");
        }
        return new Params(b.ToImmutable());
    }

    /// <summary>The underlying sorted dictionary.</summary>
    internal ImmutableSortedDictionary<string, Tensor> Items => items;

    /// <summary>
    /// The flat buffer layout whose views these tensors are (set only by <see cref="CreateFlatBacked"/>), or null: the
    /// optimizer's flat path reads it. Every operation that changes the map returns a new map without it.
    /// </summary>
    internal Optim.FlatLayout? FlatBacking { get; private set; }

    /// <summary>A map of views of one flat buffer, tagged with its layout (see <see cref="FlatBacking"/>).</summary>
    internal static Params CreateFlatBacked(IEnumerable<KeyValuePair<string, Tensor>> entries, Optim.FlatLayout layout)
    {
        var result = Create(entries);
        result.FlatBacking = layout;
        return result;
    }

    /// <summary>Returns a map with <paramref name="path"/> set to <paramref name="value"/>. Cost: O(log n).</summary>
    /// <example><code>Params q = p.With("~/linear/b", zeros(4));   // a new map; p is unchanged</code></example>
    /// <param name="path">The parameter path.</param>
    /// <param name="value">The tensor.</param>
    /// <returns>The new map; this one is unchanged.</returns>
    public Params With(string path, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(value);
        return new(items.SetItem(path, value));
    }

    /// <summary>Returns a map without <paramref name="path"/>. Cost: O(log n).</summary>
    /// <example><code>Params q = p.Without("~/linear/b");</code></example>
    /// <param name="path">The parameter path.</param>
    /// <returns>The new map; this one is unchanged.</returns>
    public Params Without(string path) => new(items.Remove(path));

    /// <summary>Returns a map with every entry of <paramref name="other"/> added or replacing. Cost: O(m log(n+m)).</summary>
    /// <example><code>Params all = p.Merge(state);   // entries of state win on a shared path</code></example>
    /// <param name="other">Entries that win over this map's.</param>
    /// <returns>The merged map.</returns>
    public Params Merge(Params other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new(items.SetItems(other.items));
    }

    /// <summary>
    /// Keeps the entries whose path satisfies <paramref name="predicate"/>. Cost: one predicate call per entry
    /// (O(n)) plus O(log n) per entry dropped; the result shares structure with this map (and is this map when
    /// nothing is dropped).
    /// </summary>
    /// <param name="predicate">A test on the path.</param>
    /// <example><code>Params weights = p.Where(path => path.EndsWith("/w"));</code></example>
    /// <returns>The filtered map.</returns>
    public Params Where(Func<string, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        List<string>? dropped = null;
        foreach (var key in items.Keys)
            if (!predicate(key)) (dropped ??= []).Add(key);
        if (dropped is null) return this;
        if (dropped.Count == items.Count) return Empty;
        return new(items.RemoveRange(dropped));
    }

    /// <summary>Applies <paramref name="f"/> to every tensor (a tree map). Cost: O(n) calls.</summary>
    /// <example><code>Params noBias = p.Map((path, t) => path.EndsWith("/b") ? zeros_like(t) : t);</code></example>
    /// <param name="f">Maps the path and tensor to a new tensor.</param>
    /// <returns>The mapped map, with the same keys.</returns>
    public Params Map(Func<string, Tensor, Tensor> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var b = ImmutableSortedDictionary.CreateBuilder<string, Tensor>(StringComparer.Ordinal, SameTensor);
        foreach (var (k, v) in items) b.Add(k, f(k, v));
        return new(b.ToImmutable());
    }

    /// <summary>Applies <paramref name="f"/> to every tensor (a tree map). Cost: O(n) calls.</summary>
    /// <example><code>Params half = p.Map(t => t.to_type(ScalarType.Float16));</code></example>
    /// <param name="f">Maps a tensor to a new tensor.</param>
    /// <returns>The mapped map, with the same keys.</returns>
    public Params Map(Func<Tensor, Tensor> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Map((_, t) => f(t));
    }

    /// <summary>Combines two maps with the same keys entry by entry.</summary>
    /// <example><code>Params stepped = p.Zip(grads, (w, g) => w - g * 0.1);   // same keys required</code></example>
    /// <param name="other">A map with exactly the same keys.</param>
    /// <param name="f">Combines this map's tensor with the other's.</param>
    /// <returns>The combined map.</returns>
    /// <exception cref="ParamsKeyException">The key sets differ.</exception>
    public Params Zip(Params other, Func<Tensor, Tensor, Tensor> f)
    {
        ArgumentNullException.ThrowIfNull(other);
        ArgumentNullException.ThrowIfNull(f);
        RequireSameKeys(other, nameof(Zip));
        return Map((k, t) => f(t, other.items[k]));
    }

    /// <summary>Throws a clear error when <paramref name="other"/> does not have exactly this map's keys.</summary>
    /// <example><code>grads.RequireSameKeys(p, "my update rule");   // throws naming the missing and unexpected paths</code></example>
    /// <param name="other">The map to compare with.</param>
    /// <param name="operation">The operation, for the message.</param>
    /// <exception cref="ParamsKeyException">The key sets differ.</exception>
    public void RequireSameKeys(Params other, string operation)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Count == Count && items.Keys.All(other.items.ContainsKey)) return;
        var onlyHere = items.Keys.Where(k => !other.items.ContainsKey(k)).Take(5).ToList();
        var onlyThere = other.items.Keys.Where(k => !items.ContainsKey(k)).Take(5).ToList();
        throw new ParamsKeyException(
            $"{operation} needs two parameter maps with the same keys. Only in the first: [{string.Join(", ", onlyHere)}]; only in the second: [{string.Join(", ", onlyThere)}].");
    }

    /// <summary>The shape of every entry, keyed by path.</summary>
    /// <example><code>Console.WriteLine(p.Shapes());   // {'~/Linear_0/__call__/b': (4,), '~/Linear_0/__call__/w': (3, 4)}</code></example>
    /// <returns>A sorted map whose <c>ToString()</c> prints like Haiku: <c>{'~/w': (3, 4)}</c>.</returns>
    public ShapeMap Shapes()
    {
        var b = ImmutableSortedDictionary.CreateBuilder<string, long[]>(StringComparer.Ordinal);
        foreach (var (k, v) in items) b.Add(k, v.shape);
        return new ShapeMap(b.ToImmutable());
    }

    /// <summary>The total number of scalar elements over every tensor.</summary>
    public long ElementCount => items.Values.Sum(t => t.numel());

    /// <summary>The total size of every tensor's data in bytes.</summary>
    public long TotalBytes => items.Values.Sum(t => t.numel() * t.ElementSize);

    /// <summary>Disposes every tensor in this map. Use only when nothing else holds them.</summary>
    /// <example><code>p.DisposeTensors();   // frees the native memory now; p must not be used afterwards</code></example>
    public void DisposeTensors()
    {
        foreach (var t in items.Values) t.Dispose();
    }

    /// <summary>True when both maps have the same keys and bitwise-equal tensors (same dtype and shape).</summary>
    /// <example><code>bool same = net.Init(seed: 1, x).BitwiseEquals(net.Init(seed: 1, x));   // true: Init is reproducible</code></example>
    /// <param name="other">The other map.</param>
    /// <returns>Whether the maps are identical.</returns>
    public bool BitwiseEquals(Params other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Count != Count) return false;
        foreach (var (k, v) in items)
        {
            if (!other.items.TryGetValue(k, out var w)) return false;
            if (v.dtype != w.dtype || !v.shape.AsSpan().SequenceEqual(w.shape)) return false;
            if (!v.Equals(w)) return false; // TorchSharp's Equals: torch.equal (same values, bitwise for floats except NaN)
        }
        return true;
    }

    internal bool TryGetEntry(string path, out Entry entry) => Index().TryGetValue(path, out entry);

    /// <summary>
    /// <see cref="TryGetEntry(string, out Entry)"/> for a path assembled in a buffer (no string made for it: an
    /// <c>Apply</c> looks up every parameter on every call).
    /// </summary>
    internal bool TryGetEntry(ReadOnlySpan<char> path, out Entry entry) =>
        Index().GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(path, out entry);

    private FrozenDictionary<string, Entry> Index()
    {
        var idx = index;
        if (idx is null)
        {
            var entries = new KeyValuePair<string, Entry>[items.Count];
            var i = 0;
            foreach (var (k, v) in items)
            {
                entries[i] = KeyValuePair.Create(k, v.IsInvalid ? new Entry(v, [], default, i) : new Entry(v, v.shape, v.dtype, i));
                i++;
            }
            idx = entries.ToFrozenDictionary(StringComparer.Ordinal);
            index = idx; // benign race: every thread builds the same index
        }
        return idx;
    }

    /// <summary>The paths closest to <paramref name="path"/> by edit distance, for error messages.</summary>
    internal IReadOnlyList<string> Nearest(string path, int count = 3) =>
        items.Keys.Select(k => (Key: k, D: EditDistance(k, path))).OrderBy(x => x.D).ThenBy(x => x.Key, StringComparer.Ordinal)
            .Take(count).Select(x => x.Key).ToList();

    private static int EditDistance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) prev[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }

    /// <inheritdoc />
    public Tensor this[string key] => items.TryGetValue(key, out var t) ? t
        : throw new MissingParameterException(key, Nearest(key));

    /// <inheritdoc />
    public IEnumerable<string> Keys => items.Keys;

    /// <inheritdoc />
    public IEnumerable<Tensor> Values => items.Values;

    /// <inheritdoc />
    public int Count => items.Count;

    /// <inheritdoc />
    public bool ContainsKey(string key) => items.ContainsKey(key);

    /// <inheritdoc />
    public bool TryGetValue(string key, out Tensor value) => items.TryGetValue(key, out value!);

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator() => items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Prints each path with its shape and dtype, e.g. <c>{'~/w': (3, 4) Float32}</c>.</summary>
    /// <returns>A one-line summary.</returns>
    public override string ToString() =>
        "{" + string.Join(", ", items.Select(kv => $"'{kv.Key}': {ShapeText.Format(kv.Value.shape)} {kv.Value.dtype}")) + "}";
}

/// <summary>
/// Parameter shapes keyed by path, sorted ordinally, printing like Haiku's
/// <c>jax.tree.map(lambda x: x.shape, params)</c>: <c>{'~/Linear_0/__call__/w': (3, 4), …}</c>.
/// </summary>
/// <param name="Items">The shapes.</param>
public sealed record ShapeMap(ImmutableSortedDictionary<string, long[]> Items) : IReadOnlyDictionary<string, long[]>
{
    /// <summary>The underlying dictionary.</summary>
    /// <param name="map">The shape map.</param>
    public static implicit operator ImmutableSortedDictionary<string, long[]>(ShapeMap map) => map.Items;

    /// <inheritdoc />
    public long[] this[string key] => Items[key];

    /// <inheritdoc />
    public IEnumerable<string> Keys => Items.Keys;

    /// <inheritdoc />
    public IEnumerable<long[]> Values => Items.Values;

    /// <inheritdoc />
    public int Count => Items.Count;

    /// <inheritdoc />
    public bool ContainsKey(string key) => Items.ContainsKey(key);

    /// <inheritdoc />
    public bool TryGetValue(string key, out long[] value) => Items.TryGetValue(key, out value!);

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, long[]>> GetEnumerator() => Items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>True when both maps have the same paths with the same shapes.</summary>
    /// <param name="other">The other map.</param>
    /// <returns>Whether they are equal.</returns>
    public bool Equals(ShapeMap? other) =>
        other is not null && other.Count == Count &&
        Items.All(kv => other.Items.TryGetValue(kv.Key, out var s) && s.AsSpan().SequenceEqual(kv.Value));

    /// <inheritdoc />
    public override int GetHashCode() => Count;

    /// <summary>Prints like Haiku: <c>{'~/w': (3, 4), '~/b': (4,)}</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => "{" + string.Join(", ", Items.Select(kv => $"'{kv.Key}': {ShapeText.Format(kv.Value)}")) + "}";
}
