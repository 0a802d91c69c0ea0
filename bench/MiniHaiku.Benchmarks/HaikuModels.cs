using MiniHaiku.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Benchmarks;

/// <summary>The MiniHaiku models of the benchmarks (same shapes as <see cref="TorchModels"/>).</summary>
public static class HaikuModels
{
    /// <summary>784-256-128-10 MLP with ReLU (no dropout, as in the TorchSharp module).</summary>
    public static Model<Tensor> Mlp(Tensor images)
    {
        var x = images.flatten(1);
        return from h1 in Linear.Create(256).Call(x)
               from h2 in Linear.Create(128).Call(Activations.Relu(h1))
               from logits in Linear.Create(10).Call(Activations.Relu(h2))
               select logits;
    }

    /// <summary>conv3x3(32)-BN-ReLU-maxpool2, conv3x3(64)-BN-ReLU-maxpool2, dropout 0.1, dense 128-ReLU, dropout 0.3, dense 10.</summary>
    public static Model<Tensor> Cnn((Tensor X, bool Training) input)
    {
        var (x, training) = input;
        return from c1 in Conv2D.Create(32, 3, withBias: false, dataFormat: DataFormat.ChannelsFirst).Call(x)
               from n1 in BatchNorm.Create(dataFormat: DataFormat.ChannelsFirst).Call(c1, training)
               from p1 in MaxPool.Create(2, dataFormat: DataFormat.ChannelsFirst).Call(Activations.Relu(n1))
               from c2 in Conv2D.Create(64, 3, withBias: false, dataFormat: DataFormat.ChannelsFirst).Call(p1)
               from n2 in BatchNorm.Create(dataFormat: DataFormat.ChannelsFirst).Call(c2, training)
               from p2 in MaxPool.Create(2, dataFormat: DataFormat.ChannelsFirst).Call(Activations.Relu(n2))
               from d1 in Hk.Dropout(0.1, p2, training)
               from h in Linear.Create(128).Call(d1.flatten(1))
               from d2 in Hk.Dropout(0.3, Activations.Relu(h), training)
               from logits in Linear.Create(10).Call(d2)
               select logits;
    }

    /// <summary>Deep narrow MLP: 24 hidden Linear(64) layers with ReLU, then Linear(10): 50 parameter tensors.</summary>
    public static Model<Tensor> DeepNarrow(Tensor x) =>
        MLP.Create([.. Enumerable.Repeat(64, 24), 10]).Call(x);

    /// <summary>The Transformer's vocabulary size (byte-level tokens).</summary>
    public const int TransformerVocab = 256;

    /// <summary>
    /// A 4-block pre-LayerNorm Transformer language model, D = 128, 8 heads, GELU MLP of width 4·D, causal, no dropout:
    /// token embedding, 4 × (LayerNorm, MultiHeadAttention, residual, LayerNorm, MLP, residual), final LayerNorm,
    /// Linear to the vocabulary. Tokens [B, T] → logits [B, T, 256]; 69 parameter tensors.
    /// </summary>
    public static Model<Tensor> Transformer(Tensor tokens) =>
        from embedded in Embed.Create(TransformerVocab, 128).Call(tokens)
        from h in Hk.Aggregate(Enumerable.Range(0, 4), embedded, (x, _) =>
            from a in LayerNorm.Create().Call(x)
            from attended in MultiHeadAttention.Create(8, keySize: 16).Call(a, causal: true)
            let r = x + attended
            from b in LayerNorm.Create().Call(r)
            from m in MLP.Create([4 * 128, 128], Activations.Gelu).Call(b)
            select r + m)
        from normed in LayerNorm.Create().Call(h)
        from logits in Linear.Create(TransformerVocab).Call(normed)
        select logits;

    /// <summary>1000-2000-2000-2000 linear stack with a given weight initializer (the "before" row of Init).</summary>
    public static Func<Tensor, Model<Tensor>> BigWith(Initializer wInit) => x =>
        from a in Linear.Create(2000, wInit: wInit).Call(x)
        from b in Linear.Create(2000, wInit: wInit).Call(a)
        from c in Linear.Create(2000, wInit: wInit).Call(b)
        select c;

    /// <summary>Two 32-wide linear layers with ReLU between.</summary>
    public static Model<Tensor> Tiny(Tensor x) =>
        from h in Linear.Create(32).Call(x)
        from y in Linear.Create(32).Call(Activations.Relu(h))
        select y;

    /// <summary>1000-2000-2000-2000 linear stack (10,006,000 parameters).</summary>
    public static Model<Tensor> Big(Tensor x) =>
        from a in Linear.Create(2000).Call(x)
        from b in Linear.Create(2000).Call(a)
        from c in Linear.Create(2000).Call(b)
        select c;

    /// <summary>
    /// 20 modules of 10 scalar parameters each (200 <see cref="Hk.GetParam(string, long[], Initializer, ScalarType?)"/>
    /// calls and nothing else): isolates the cost of parameter lookup.
    /// </summary>
    public static Model<Tensor> TwoHundredParams(Tensor x) =>
        Hk.Aggregate(Enumerable.Range(0, 20), x, (acc, _) => ParamBag.Create().SelectMany(bag => bag.Call(acc)));

    /// <summary>A module that only reads ten scalar parameters.</summary>
    public sealed record ParamBag(ModuleName Name) : Module(Name)
    {
        private static readonly string[] Names = Enumerable.Range(0, 10).Select(i => "p" + i).ToArray();
        private static readonly long[] Shape = [1];

        public static Model<ParamBag> Create() => Hk.Module(n => new ParamBag(n));

        public Model<Tensor> Call(Tensor x) => Method(
            Hk.Aggregate(Names, x, (_, name) => Hk.GetParam(name, Shape, Initializers.Zeros())));
    }
}
