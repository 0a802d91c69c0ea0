using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Nets;

/// <summary>What <see cref="VectorQuantizer"/> and <see cref="VectorQuantizerEMA"/> return (Haiku's dictionary).</summary>
/// <param name="Quantize">The quantized inputs with the straight-through gradient: forward value the nearest
/// embedding, gradient that of the inputs (<c>inputs + stop_gradient(quantized − inputs)</c>); same shape as the inputs.</param>
/// <param name="Loss">The scalar loss to add to the objective: <c>q_latent + β·e_latent</c> (the EMA variant: <c>β·e_latent</c>).</param>
/// <param name="Perplexity">The exponential of the entropy of the average code usage in this batch.</param>
/// <param name="Encodings">One-hot codes, <c>[M, numEmbeddings]</c> for the M flattened input vectors.</param>
/// <param name="EncodingIndices">The chosen code per input vector, int64, the inputs' shape without the last axis.</param>
/// <param name="Distances">Squared distances to every embedding, <c>[M, numEmbeddings]</c>.</param>
public sealed record VectorQuantizerOutput(Tensor Quantize, Tensor Loss, Tensor Perplexity, Tensor Encodings, Tensor EncodingIndices, Tensor Distances);

/// <summary>The quantisation shared by <see cref="VectorQuantizer"/> and <see cref="VectorQuantizerEMA"/>.</summary>
internal static class VectorQuantization
{
    public static void Validate(string path, string layer, Tensor inputs, Tensor embeddings, int embeddingDim)
    {
        if (inputs.dim() < 1 || inputs.shape[^1] != embeddingDim)
            throw new LayerInputException(path, $"{layer} needs inputs whose last axis is the embedding dimension {embeddingDim}, got shape {ShapeText.Format(inputs.shape)}.");
        if (inputs.dtype != embeddings.dtype)
            throw new LayerInputException(path, $"{layer}'s embeddings are {embeddings.dtype} but the inputs are {inputs.dtype}; pass dtype: {inputs.dtype} to Create.");
    }

    /// <summary>Distances, codes and the quantized (non-straight-through) vectors.</summary>
    public static (Tensor Flat, Tensor Distances, Tensor Indices, Tensor Encodings, Tensor Quantized) Nearest(Tensor inputs, Tensor embeddings, int embeddingDim, int numEmbeddings)
    {
        var flat = inputs.reshape(-1, embeddingDim);
        var distances = flat.mul(flat).sum([1], keepdim: true)
            .Minus(flat.matmul(embeddings).Times(2.0))
            .Plus(embeddings.mul(embeddings).sum([0], keepdim: true));
        var indices = distances.argmin(1);
        var encodings = nn.functional.one_hot(indices, numEmbeddings).to_type(distances.dtype);
        var quantized = embeddings.t().index_select(0, indices).reshape(inputs.shape);
        return (flat, distances, indices, encodings, quantized);
    }

    public static Tensor Mse(Tensor a, Tensor b)
    {
        var d = a.Minus(b);
        return d.mul(d).mean();
    }

    public static VectorQuantizerOutput Output(Tensor inputs, Tensor loss, Tensor distances, Tensor indices, Tensor encodings, Tensor quantized)
    {
        var straightThrough = inputs.Plus(quantized.Minus(inputs).detach());
        var averageProbs = encodings.mean([0]);
        var entropy = averageProbs.mul(averageProbs.Plus(1e-10).log()).sum();
        var perplexity = entropy.neg().exp();
        return new VectorQuantizerOutput(straightThrough, loss, perplexity, encodings, indices.reshape(inputs.shape[..^1]), distances);
    }
}
