using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// Multi-head attention (Haiku's <c>hk.MultiHeadAttention</c>): queries, keys and values are projected by
/// linear layers named <c>query</c>, <c>key</c> and <c>value</c> into <see cref="NumHeads"/> heads,
/// combined with <c>softmax(q·kᵀ / √keySize)·v</c> per head, and projected back by a linear layer named
/// <c>linear</c> to <see cref="ModelSize"/> features. Parameters live at
/// <c>{path}/__call__/query/__call__/w</c> and so on.
/// </summary>
/// <remarks>
/// Inputs are <c>[..., T, D]</c>. A mask is a boolean tensor broadcastable to
/// <c>[..., heads, T_query, T_key]</c> where true means "may attend"; <c>causal</c> additionally forbids
/// attending to later positions (query i sees keys 0..i). A query row that may attend to nothing gets
/// uniform weights over all keys (Haiku's rule: masked logits are set to -1e30, not -∞), so it averages the
/// values instead of producing NaN. Computed with libtorch's fused <c>scaled_dot_product_attention</c> (with
/// <c>is_causal</c> and no mask tensor when <c>causal</c> is the only mask).
/// </remarks>
/// <param name="Name">The module's name.</param>
/// <param name="NumHeads">The number of heads.</param>
/// <param name="KeySize">The size of each query/key head.</param>
/// <param name="ValueSize">The size of each value head.</param>
/// <param name="ModelSize">The output size.</param>
/// <param name="WithBias">Whether the projections have biases.</param>
/// <param name="WInit">The projections' weight initializer; null for <see cref="Linear"/>'s default.</param>
/// <param name="BInit">The projections' bias initializer; null for zeros.</param>
/// <example>
/// <code>
/// // Causal self-attention over x [N, T, 64]: 4 heads with keys of size 16.
/// return MultiHeadAttention.Create(numHeads: 4, keySize: 16).Call(x, causal: true);
/// </code>
/// </example>
public sealed record MultiHeadAttention(ModuleName Name, int NumHeads, int KeySize, int ValueSize, int ModelSize, bool WithBias,
    Initializer? WInit, Initializer? BInit) : Module(Name)
{
    /// <summary>Creates a multi-head attention module.</summary>
    /// <param name="numHeads">The number of heads.</param>
    /// <param name="keySize">The size of each query/key head.</param>
    /// <param name="valueSize">The size of each value head; default <paramref name="keySize"/>.</param>
    /// <param name="modelSize">The output size; default <c>keySize · numHeads</c>.</param>
    /// <param name="withBias">Whether the projections have biases.</param>
    /// <param name="wInit">The projections' weight initializer.</param>
    /// <param name="bInit">The projections' bias initializer.</param>
    /// <param name="name">An explicit module name, or null for <c>MultiHeadAttention_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<MultiHeadAttention> Create(int numHeads, int keySize, int? valueSize = null, int? modelSize = null, bool withBias = true,
        Initializer? wInit = null, Initializer? bInit = null, string? name = null)
    {
        var v = valueSize ?? keySize;
        var m = modelSize ?? keySize * numHeads;
        if (numHeads < 1 || keySize < 1 || v < 1 || m < 1)
            throw new LayerConfigurationException(nameof(MultiHeadAttention), $"numHeads, keySize, valueSize and modelSize must be positive, got {numHeads}, {keySize}, {v}, {m}.");
        return Hk.Module(n => new MultiHeadAttention(n, numHeads, keySize, v, m, withBias, wInit, bInit), name);
    }

    /// <summary>Attends from <paramref name="query"/> to <paramref name="key"/>/<paramref name="value"/>.</summary>
    /// <param name="query">Queries <c>[..., T, Dq]</c>.</param>
    /// <param name="key">Keys <c>[..., T', Dk]</c>; null for self-attention (the query).</param>
    /// <param name="value">Values <c>[..., T', Dv]</c>; null for the key.</param>
    /// <param name="mask">Boolean, broadcastable to <c>[..., heads, T, T']</c>; true = may attend.</param>
    /// <param name="causal">Whether query i may only attend to keys 0..i.</param>
    /// <returns>A model producing <c>[..., T, ModelSize]</c>.</returns>
    /// <exception cref="LayerInputException">Ranks or sequence lengths disagree, or the mask is not boolean.</exception>
    public Model<Tensor> Call(Tensor query, Tensor? key = null, Tensor? value = null, Tensor? mask = null, bool causal = false)
    {
        ArgumentNullException.ThrowIfNull(query);
        key ??= query;
        value ??= key;
        const string layer = nameof(MultiHeadAttention);
        LayerChecks.RequireFloatingInput(Name.Path, layer, query, "query");
        const string castFix = "Cast query, key and value to one dtype, e.g. key.to_type(query.dtype).";
        LayerChecks.RequireSameDType(Name.Path, layer, "key", key, query.dtype, castFix);
        LayerChecks.RequireSameDType(Name.Path, layer, "value", value, query.dtype, castFix);
        long[] qs = query.shape, ks = key.shape, vs = value.shape;
        if (qs.Length < 2 || ks.Length != qs.Length || vs.Length != qs.Length)
            throw new LayerInputException(Name.Path, $"MultiHeadAttention needs query, key and value of the same rank (at least 2, [..., T, D]); got {ShapeText.Format(qs)}, {ShapeText.Format(ks)}, {ShapeText.Format(vs)}.");
        if (ks[^2] != vs[^2])
            throw new LayerInputException(Name.Path, $"key {ShapeText.Format(ks)} and value {ShapeText.Format(vs)} must have the same sequence length.");
        if (!LayerChecks.Broadcastable(qs.AsSpan(0, qs.Length - 2), ks.AsSpan(0, ks.Length - 2)) ||
            !LayerChecks.Broadcastable(qs.AsSpan(0, qs.Length - 2), vs.AsSpan(0, vs.Length - 2)))
            throw new LayerInputException(Name.Path,
                $"query {ShapeText.Format(qs)}, key {ShapeText.Format(ks)} and value {ShapeText.Format(vs)} must have the same batch axes (all but the last two, or 1 to broadcast).");
        if (mask is not null)
        {
            TensorChecks.RequireAlive(mask, $"the mask of '{Name.Path}' ({layer})");
            if (mask.dtype != ScalarType.Bool)
                throw new LayerInputException(Name.Path, $"the attention mask must be boolean (true = may attend), got dtype {mask.dtype}.");
            // The scores are [batch..., heads, Tq, Tk]; the mask must broadcast to them.
            long[] ms = mask.shape;
            long[] scores = [.. qs[..^2], NumHeads, qs[^2], ks[^2]];
            if (ms.Length > scores.Length || !LayerChecks.Broadcastable(ms, scores) || !MaskFits(ms, scores))
                throw new LayerInputException(Name.Path,
                    $"the attention mask {ShapeText.Format(ms)} must broadcast to the attention scores {ShapeText.Format(scores)} ([batch..., heads, query length, key length]); e.g. [{qs[^2]}, {ks[^2]}] for one mask for every example and head.");
        }
        return Method(
            from q in Project(query, KeySize, "query")
            from k in Project(key, KeySize, "key")
            from v in Project(value, ValueSize, "value")
            let attended = Attend(q, k, v, mask, causal)
            from output in Linear.Create(ModelSize, WithBias, WInit, BInit, "linear").Call(attended)
            select output, query);
    }

    /// <summary>[..., T, D] → [..., heads, T, size].</summary>
    private Model<Tensor> Project(Tensor x, int size, string name) =>
        Linear.Create(NumHeads * size, WithBias, WInit, BInit, name).Call(x)
            .Select(y => y.reshape([.. y.shape[..^1], NumHeads, size]).transpose(-3, -2));

    // Broadcasting must not grow the scores: each mask axis is 1 or the scores' size.
    private static bool MaskFits(long[] mask, long[] scores)
    {
        for (int i = mask.Length - 1, j = scores.Length - 1; i >= 0; i--, j--)
            if (mask[i] != 1 && mask[i] != scores[j]) return false;
        return true;
    }

    private static Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor? mask, bool causal)
    {
        // Causal alone is libtorch's is_causal (its fused kernel, no mask tensor): the same lower-triangular
        // (top-left aligned) pattern as CombinedMask, and no query row is ever fully masked by it (query i always sees
        // key 0), so Haiku's -1e30 rule never comes into play. A user's mask may block a whole row, where libtorch's
        // boolean masks would give zeros or NaN instead of Haiku's uniform weights: it goes in as an additive mask.
        var heads = mask is null
            ? nn.functional.scaled_dot_product_attention(q, k, v, is_casual: causal)
            : nn.functional.scaled_dot_product_attention(q, k, v, AdditiveMask(CombinedMask(mask, causal, q.shape[^2], k.shape[^2], q.device), q.dtype));
        // [..., heads, T, size] → [..., T, heads · size]
        var merged = heads.transpose(-3, -2);
        var s = merged.shape;
        return merged.reshape([.. s[..^2], s[^2] * s[^1]]);
    }

    /// <summary>
    /// A boolean mask as an additive one: 0 where attending is allowed, a large finite negative number
    /// elsewhere (Haiku's -1e30), so that a row with nothing allowed gets uniform weights rather than NaN.
    /// </summary>
    private static Tensor AdditiveMask(Tensor mask, ScalarType dtype)
    {
        var blocked = Math.Max(-1e30, torch.finfo(dtype).min / 2);
        using var allowed = torch.zeros(mask.shape, dtype: dtype, device: mask.device);
        using var notAllowed = mask.logical_not();
        return Internal.SafeOps.WithScalar(blocked, s => allowed.masked_fill(notAllowed, s));
    }

    private static Tensor CombinedMask(Tensor mask, bool causal, long tq, long tk, Device device)
    {
        if (!causal) return mask;
        using var lower = torch.ones(tq, tk, dtype: ScalarType.Bool, device: device).tril();
        return mask.logical_and(lower);
    }
}

public static partial class LayerExtensions
{
    /// <summary>Creates the attention module and calls it.</summary>
    /// <param name="attention">The model creating the module.</param>
    /// <param name="query">The queries.</param>
    /// <param name="key">The keys; null for the queries.</param>
    /// <param name="value">The values; null for the keys.</param>
    /// <param name="mask">Boolean mask, true = may attend.</param>
    /// <param name="causal">Whether query i may only attend to keys 0..i.</param>
    /// <returns>A model producing the output.</returns>
    public static Model<Tensor> Call(this Model<MultiHeadAttention> attention, Tensor query, Tensor? key = null, Tensor? value = null,
        Tensor? mask = null, bool causal = false)
    {
        ArgumentNullException.ThrowIfNull(attention);
        return attention.SelectMany(a => a.Call(query, key, value, mask, causal));
    }
}
