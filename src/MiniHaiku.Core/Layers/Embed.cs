using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// A lookup table of embeddings (Haiku's <c>hk.Embed</c>). Parameter: <c>embeddings</c> of shape
/// <c>[vocabSize, embedDim]</c> (default truncated normal with stddev 1). Calling it on integer ids of
/// shape <c>[...]</c> gives <c>[..., embedDim]</c>, via indexing <c>table[ids]</c> (<see cref="EmbedLookupStyle.ArrayIndex"/>)
/// or a one-hot matmul (<see cref="EmbedLookupStyle.OneHot"/>). Created from a given embedding matrix, the table
/// starts as a copy of it (Haiku's <c>embedding_matrix</c>) and is still a trainable parameter.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="VocabSize">The number of rows.</param>
/// <param name="EmbedDim">The width of each embedding.</param>
/// <param name="WInit">The initializer of <c>embeddings</c>; null for truncated normal(1).</param>
/// <param name="Dtype">The element type of <c>embeddings</c>.</param>
/// <param name="LookupStyle">How ids are looked up.</param>
/// <example>
/// <code>
/// return Embed.Create(vocabSize: 1000, embedDim: 64).Call(x);   // integer ids x [N, T] → [N, T, 64]
/// </code>
/// </example>
public sealed record Embed(ModuleName Name, long VocabSize, long EmbedDim, Initializer? WInit, ScalarType Dtype,
    EmbedLookupStyle LookupStyle = EmbedLookupStyle.ArrayIndex) : Layer(Name)
{
    /// <summary>Creates an embedding table.</summary>
    /// <param name="vocabSize">The number of rows (positive).</param>
    /// <param name="embedDim">The embedding width (positive).</param>
    /// <param name="wInit">The initializer; default truncated normal with stddev 1, as in Haiku.</param>
    /// <param name="dtype">The table's element type; default <see cref="ScalarType.Float32"/>.</param>
    /// <param name="lookupStyle">Default <see cref="EmbedLookupStyle.ArrayIndex"/>, as in Haiku.</param>
    /// <param name="name">An explicit module name, or null for <c>Embed_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<Embed> Create(long vocabSize, long embedDim, Initializer? wInit = null, ScalarType dtype = ScalarType.Float32,
        EmbedLookupStyle lookupStyle = EmbedLookupStyle.ArrayIndex, string? name = null)
    {
        if (vocabSize < 1 || embedDim < 1)
            throw new LayerConfigurationException(nameof(Embed), $"vocabSize and embedDim must be positive, got {vocabSize} and {embedDim}.");
        return Hk.Module(n => new Embed(n, vocabSize, embedDim, wInit, dtype, lookupStyle), name);
    }

    /// <summary>Creates an embedding table initialised with a copy of <paramref name="embeddingMatrix"/> (Haiku's <c>embedding_matrix</c>).</summary>
    /// <param name="embeddingMatrix">A floating-point <c>[vocabSize, embedDim]</c> matrix; its dtype is the table's.</param>
    /// <param name="lookupStyle">Default <see cref="EmbedLookupStyle.ArrayIndex"/>.</param>
    /// <param name="name">An explicit module name, or null for <c>Embed_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="LayerConfigurationException">The matrix is not a non-empty floating-point matrix.</exception>
    public static Model<Embed> Create(Tensor embeddingMatrix, EmbedLookupStyle lookupStyle = EmbedLookupStyle.ArrayIndex, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(embeddingMatrix);
        if (embeddingMatrix.dim() != 2 || embeddingMatrix.shape[0] < 1 || embeddingMatrix.shape[1] < 1 || !embeddingMatrix.is_floating_point())
            throw new LayerConfigurationException(nameof(Embed), $"embeddingMatrix must be a non-empty floating-point [vocabSize, embedDim] matrix, got shape {ShapeText.Format(embeddingMatrix.shape)} and dtype {embeddingMatrix.dtype}.");
        Tensor copy;
        using (torch.no_grad()) copy = embeddingMatrix.detach().clone();
        Initializer init = (shape, dtype, _) => copy.to_type(dtype).clone();
        return Create(copy.shape[0], copy.shape[1], init, copy.dtype, lookupStyle, name);
    }

    /// <summary>Looks up the embedding of every id.</summary>
    /// <param name="x">Integer ids in [0, <see cref="VocabSize"/>), any shape.</param>
    /// <returns>A model producing <c>[..., EmbedDim]</c>.</returns>
    /// <exception cref="LayerInputException">The ids are not integers or are out of range.</exception>
    protected override Model<Tensor> Forward(Tensor x)
    {
        TensorChecks.RequireAlive(x, $"the ids given to '{Name.Path}' (Embed)");
        if (x.is_floating_point() || x.is_complex() || x.dtype == ScalarType.Bool)
            throw new LayerInputException(Name.Path, $"Embed needs integer ids, got dtype {x.dtype}. Convert with .to_type(ScalarType.Int64).");
        // Int64 before the range check: item<long>() throws on narrower integer dtypes, and a byte index would be a mask.
        var ids = x.to_type(ScalarType.Int64);
        if (x.numel() > 0)
        {
            long min = ids.min().item<long>(), max = ids.max().item<long>();
            if (min < 0 || max >= VocabSize)
                throw new LayerInputException(Name.Path, $"Embed ids must lie in [0, {VocabSize}), got values from {min} to {max}.");
        }
        var shape = x.shape;
        return
            from table in Hk.GetParam("embeddings", [VocabSize, EmbedDim], WInit ?? Initializers.TruncatedNormal(), Dtype)
            select Lookup(table, ids.reshape(-1)).reshape([.. shape, EmbedDim]);
    }

    // ONE_HOT: one_hot(ids) in the table's dtype (matmul aborts on a dtype mismatch) times the table.
    // ARRAY_INDEX: advanced indexing table[ids], the same rows as index_select, whose backward (an index_put_ with
    // accumulation) costs about half of index_select's on CPU (`--profile layers` in bench/).
    private Tensor Lookup(Tensor table, Tensor flatIds) => LookupStyle == EmbedLookupStyle.OneHot
        ? nn.functional.one_hot(flatIds, VocabSize).to_type(table.dtype).matmul(table)
        : table.index(TensorIndex.Tensor(flatIds));
}
