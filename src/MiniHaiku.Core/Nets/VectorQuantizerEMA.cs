using MiniHaiku.Internal;
using MiniHaiku.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Nets;

/// <summary>
/// The VQ-VAE bottleneck with a codebook learned by exponential moving averages instead of gradients (Haiku's
/// <c>hk.nets.VectorQuantizerEMA</c>); needs <see cref="Hk.TransformWithState{TIn, TOut}"/>.
/// </summary>
/// <remarks>
/// State: <c>embeddings</c> <c>[embeddingDim, numEmbeddings]</c> (uniform variance scaling at <c>Init</c>) and two
/// <see cref="ExponentialMovingAverage"/>s named <c>ema_cluster_size</c> <c>[numEmbeddings]</c> and <c>ema_dw</c>
/// <c>[embeddingDim, numEmbeddings]</c> (zero-debiased). In training each call updates the averages of the codes'
/// counts and of the sums of the vectors assigned to them, Laplace-smooths the counts
/// (<c>(n_k + ε) / (n + K·ε) · n</c>) and sets the codebook to <c>ema_dw / counts</c>. The loss is only the
/// commitment term <c>β·mean((sg(q) − x)²)</c>.
/// </remarks>
/// <param name="Name">The module's name.</param>
/// <param name="EmbeddingDim">The size of each code vector.</param>
/// <param name="NumEmbeddings">The number of codes.</param>
/// <param name="CommitmentCost">β.</param>
/// <param name="Decay">The moving averages' decay in [0, 1].</param>
/// <param name="Epsilon">The Laplace smoothing of the counts.</param>
/// <param name="DType">The codebook's dtype.</param>
public sealed record VectorQuantizerEMA(ModuleName Name, int EmbeddingDim, int NumEmbeddings, double CommitmentCost, double Decay, double Epsilon, ScalarType DType)
    : Module(Name)
{
    /// <summary>Creates the quantizer.</summary>
    /// <param name="embeddingDim">The size of each code vector.</param>
    /// <param name="numEmbeddings">The number of codes.</param>
    /// <param name="commitmentCost">β.</param>
    /// <param name="decay">The moving averages' decay in [0, 1], e.g. 0.99.</param>
    /// <param name="epsilon">The Laplace smoothing (default 1e-5).</param>
    /// <param name="dtype">The codebook's dtype.</param>
    /// <param name="name">An explicit module name, or null for <c>VectorQuantizerEMA_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="LayerConfigurationException">Bad sizes, β, decay or epsilon.</exception>
    public static Model<VectorQuantizerEMA> Create(int embeddingDim, int numEmbeddings, double commitmentCost, double decay, double epsilon = 1e-5,
        ScalarType dtype = ScalarType.Float32, string? name = null)
    {
        VectorQuantizer.ValidateSizes(nameof(VectorQuantizerEMA), embeddingDim, numEmbeddings, commitmentCost);
        if (!(decay >= 0 && decay <= 1)) throw new LayerConfigurationException(nameof(VectorQuantizerEMA), $"decay must be in range [0, 1], got {decay}.");
        if (!(epsilon >= 0)) throw new LayerConfigurationException(nameof(VectorQuantizerEMA), $"epsilon must be non-negative, got {epsilon}.");
        return Hk.Module(n => new VectorQuantizerEMA(n, embeddingDim, numEmbeddings, commitmentCost, decay, epsilon, dtype), name);
    }

    private Model<Tensor> GetEmbeddings() =>
        Hk.GetState("embeddings", [EmbeddingDim, NumEmbeddings], Initializers.VarianceScaling(distribution: Distribution.Uniform), DType);

    /// <summary>The current codebook (state).</summary>
    /// <returns>A model producing <c>[embeddingDim, numEmbeddings]</c>.</returns>
    public Model<Tensor> Embeddings() => Method(GetEmbeddings(), "Call");

    /// <summary>Quantizes <paramref name="inputs"/> and, in training, updates the codebook.</summary>
    /// <param name="inputs">Any shape whose last axis is <see cref="EmbeddingDim"/>.</param>
    /// <param name="isTraining">Whether to update the moving averages and the codebook.</param>
    /// <returns>A model producing the quantized inputs (with the codebook before this update), the loss and the code statistics.</returns>
    /// <exception cref="LayerInputException">The last axis or the dtype does not match the codebook.</exception>
    public Model<VectorQuantizerOutput> Call(Tensor inputs, bool isTraining)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return Method(
            from embeddings in GetEmbeddings()
            let q = Nearest(inputs, embeddings)
            let loss = VectorQuantization.Mse(q.Quantized.detach(), inputs).Times(CommitmentCost)
            from updated in isTraining ? Update(q.Flat.detach(), q.Encodings) : Hk.Pure(embeddings)
            select VectorQuantization.Output(inputs, loss, q.Distances, q.Indices, q.Encodings, q.Quantized), inputs);
    }

    private (Tensor Flat, Tensor Distances, Tensor Indices, Tensor Encodings, Tensor Quantized) Nearest(Tensor inputs, Tensor embeddings)
    {
        VectorQuantization.Validate(Name.Path, nameof(VectorQuantizerEMA), inputs, embeddings, EmbeddingDim);
        return VectorQuantization.Nearest(inputs, embeddings, EmbeddingDim, NumEmbeddings);
    }

    /// <summary>The code vectors of <paramref name="encodingIndices"/> (Haiku's <c>quantize</c>).</summary>
    /// <param name="encodingIndices">Integer code indices of any shape.</param>
    /// <returns>A model producing <c>[..., embeddingDim]</c>.</returns>
    public Model<Tensor> Quantize(Tensor encodingIndices)
    {
        ArgumentNullException.ThrowIfNull(encodingIndices);
        return Method(GetEmbeddings().Select(e => VectorQuantizer.Lookup(Name.Path, e, encodingIndices, NumEmbeddings)), "Call");
    }

    private Model<Tensor> Update(Tensor flat, Tensor encodings) =>
        from clusterEma in ExponentialMovingAverage.Create(Decay, name: "ema_cluster_size")
        from dwEma in ExponentialMovingAverage.Create(Decay, name: "ema_dw")
        from i1 in clusterEma.Initialize([NumEmbeddings], DType)
        from clusterSize in clusterEma.Call(encodings.sum([0]))
        from i2 in dwEma.Initialize([EmbeddingDim, NumEmbeddings], DType)
        from dw in dwEma.Call(flat.t().matmul(encodings))
        let n = clusterSize.sum()
        let smoothed = clusterSize.Plus(Epsilon).div(n.Plus(NumEmbeddings * Epsilon)).mul(n)
        from set in Hk.SetState("embeddings", dw.div(smoothed.reshape(1, -1)))
        select set;
}
