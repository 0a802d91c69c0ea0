using MiniHaiku.Internal;
using MiniHaiku.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Nets;

/// <summary>
/// The VQ-VAE bottleneck (Haiku's <c>hk.nets.VectorQuantizer</c>, van den Oord et al. 2017): every input vector
/// (the last axis) is replaced by its nearest column of the codebook <c>embeddings</c> <c>[embeddingDim,
/// numEmbeddings]</c> (a parameter, Haiku's <c>VarianceScaling(distribution="uniform")</c>), with the
/// straight-through gradient. The loss is the codebook loss <c>mean((q − sg(x))²)</c> plus
/// <c>commitmentCost · mean((sg(q) − x)²)</c>.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <param name="EmbeddingDim">The size of each code vector (the inputs' last axis).</param>
/// <param name="NumEmbeddings">The number of codes.</param>
/// <param name="CommitmentCost">β, the weight of the commitment loss.</param>
/// <param name="DType">The codebook's dtype.</param>
public sealed record VectorQuantizer(ModuleName Name, int EmbeddingDim, int NumEmbeddings, double CommitmentCost, ScalarType DType) : Module(Name)
{
    /// <summary>Creates the quantizer.</summary>
    /// <param name="embeddingDim">The size of each code vector (positive).</param>
    /// <param name="numEmbeddings">The number of codes (positive).</param>
    /// <param name="commitmentCost">β (Haiku's examples use 0.25).</param>
    /// <param name="dtype">The codebook's dtype (must match the inputs).</param>
    /// <param name="name">An explicit module name, or null for <c>VectorQuantizer_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="LayerConfigurationException">A size is not positive or β is negative.</exception>
    /// <example><code>
    /// from vq in VectorQuantizer.Create(embeddingDim: 64, numEmbeddings: 512, commitmentCost: 0.25)
    /// from q in vq.Call(encoded, isTraining: true)
    /// select (q.Quantize, q.Loss)
    /// </code></example>
    public static Model<VectorQuantizer> Create(int embeddingDim, int numEmbeddings, double commitmentCost, ScalarType dtype = ScalarType.Float32, string? name = null)
    {
        ValidateSizes(nameof(VectorQuantizer), embeddingDim, numEmbeddings, commitmentCost);
        return Hk.Module(n => new VectorQuantizer(n, embeddingDim, numEmbeddings, commitmentCost, dtype), name);
    }

    internal static void ValidateSizes(string layer, int embeddingDim, int numEmbeddings, double commitmentCost)
    {
        if (embeddingDim < 1 || numEmbeddings < 1)
            throw new LayerConfigurationException(layer, $"needs positive embeddingDim and numEmbeddings, got {embeddingDim} and {numEmbeddings}.");
        if (!(commitmentCost >= 0)) throw new LayerConfigurationException(layer, $"commitmentCost must be non-negative, got {commitmentCost}.");
    }

    /// <summary>The codebook <c>[embeddingDim, numEmbeddings]</c> (Haiku's <c>embeddings</c> property).</summary>
    /// <returns>A model producing the parameter.</returns>
    public Model<Tensor> Embeddings() => Method(GetEmbeddings(), "Call");

    private Model<Tensor> GetEmbeddings() =>
        Hk.GetParam("embeddings", [EmbeddingDim, NumEmbeddings], Initializers.VarianceScaling(distribution: Distribution.Uniform), DType);

    /// <summary>Quantizes <paramref name="inputs"/>.</summary>
    /// <param name="inputs">Any shape whose last axis is <see cref="EmbeddingDim"/>.</param>
    /// <param name="isTraining">Unused (as in Haiku's non-EMA quantizer); kept for the same call shape as <see cref="VectorQuantizerEMA"/>.</param>
    /// <returns>A model producing the quantized inputs, the loss and the code statistics.</returns>
    /// <exception cref="LayerInputException">The last axis or the dtype does not match the codebook.</exception>
    public Model<VectorQuantizerOutput> Call(Tensor inputs, bool isTraining)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return Method(
            from embeddings in GetEmbeddings()
            select Quantized(inputs, embeddings), inputs);
    }

    private VectorQuantizerOutput Quantized(Tensor inputs, Tensor embeddings)
    {
        VectorQuantization.Validate(Name.Path, nameof(VectorQuantizer), inputs, embeddings, EmbeddingDim);
        var (_, distances, indices, encodings, quantized) = VectorQuantization.Nearest(inputs, embeddings, EmbeddingDim, NumEmbeddings);
        var eLatent = VectorQuantization.Mse(quantized.detach(), inputs);
        var qLatent = VectorQuantization.Mse(quantized, inputs.detach());
        var loss = qLatent.Plus(eLatent.Times(CommitmentCost));
        return VectorQuantization.Output(inputs, loss, distances, indices, encodings, quantized);
    }

    /// <summary>The code vectors of <paramref name="encodingIndices"/> (Haiku's <c>quantize</c>).</summary>
    /// <param name="encodingIndices">Int64 code indices of any shape.</param>
    /// <returns>A model producing <c>[..., embeddingDim]</c>.</returns>
    public Model<Tensor> Quantize(Tensor encodingIndices)
    {
        ArgumentNullException.ThrowIfNull(encodingIndices);
        return Method(GetEmbeddings().Select(e => Lookup(Name.Path, e, encodingIndices, NumEmbeddings)), "Call");
    }

    internal static Tensor Lookup(string path, Tensor embeddings, Tensor indices, int numEmbeddings)
    {
        if (indices.dtype != ScalarType.Int64 && indices.dtype != ScalarType.Int32)
            throw new LayerInputException(path, $"encoding indices must be integers, got {indices.dtype}.");
        if (indices.numel() > 0 && (indices.min().item<long>() < 0 || indices.max().item<long>() >= numEmbeddings))
            throw new LayerInputException(path, $"encoding indices must be in [0, {numEmbeddings}), got values in [{indices.min().item<long>()}, {indices.max().item<long>()}].");
        long[] shape = [.. indices.shape, embeddings.shape[0]];
        return embeddings.t().index_select(0, indices.reshape(-1).to_type(ScalarType.Int64)).reshape(shape);
    }
}
