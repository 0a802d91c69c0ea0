using MiniHaiku;
using MiniHaiku.Layers;
using TorchSharp;
using static TorchSharp.torch;

/// <summary>The MiniHaiku models timed (shapes as in bench/MiniHaiku.Benchmarks).</summary>
internal static class Models
{
    public static Model<Tensor> Mlp(Tensor images)
    {
        var x = images.flatten(1);
        return from h1 in Linear.Create(256).Call(x)
               from h2 in Linear.Create(128).Call(Activations.Relu(h1))
               from logits in Linear.Create(10).Call(Activations.Relu(h2))
               select logits;
    }

    public static Model<Tensor> DeepNarrow(Tensor x) => MLP.Create([.. Enumerable.Repeat(64, 24), 10]).Call(x);

    public static Model<Tensor> Transformer(Tensor tokens) =>
        from embedded in Embed.Create(256, 128).Call(tokens)
        from h in Hk.Aggregate(Enumerable.Range(0, 4), embedded, (x, _) =>
            from a in LayerNorm.Create().Call(x)
            from attended in MultiHeadAttention.Create(8, keySize: 16).Call(a, causal: true)
            let r = x + attended
            from b in LayerNorm.Create().Call(r)
            from m in MLP.Create([4 * 128, 128], Activations.Gelu).Call(b)
            select r + m)
        from normed in LayerNorm.Create().Call(h)
        from logits in Linear.Create(256).Call(normed)
        select logits;
}
