using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MiniHaiku.Benchmarks;

/// <summary>Idiomatic TorchSharp modules with the same shapes as the MiniHaiku models.</summary>
public static class TorchModels
{
    /// <summary>784-256-128-10 MLP with ReLU.</summary>
    public sealed class Mlp : Module<Tensor, Tensor>
    {
        private readonly Linear hidden1 = Linear(784, 256);
        private readonly Linear hidden2 = Linear(256, 128);
        private readonly Linear logits = Linear(128, 10);

        public Mlp() : base(nameof(Mlp)) => RegisterComponents();

        public override Tensor forward(Tensor x)
        {
            using var h1 = hidden1.forward(x.flatten(1));
            using var a1 = functional.relu(h1);
            using var h2 = hidden2.forward(a1);
            using var a2 = functional.relu(h2);
            return logits.forward(a2);
        }
    }

    /// <summary>conv3x3(32)-BN-ReLU-pool, conv3x3(64)-BN-ReLU-pool, dropout 0.1, dense 128, dropout 0.3, dense 10.</summary>
    public sealed class Cnn : Module<Tensor, Tensor>
    {
        private readonly Conv2d conv1 = Conv2d(1, 32, 3, padding: 1, bias: false);
        private readonly BatchNorm2d bn1 = BatchNorm2d(32);
        private readonly Conv2d conv2 = Conv2d(32, 64, 3, padding: 1, bias: false);
        private readonly BatchNorm2d bn2 = BatchNorm2d(64);
        private readonly Linear dense = Linear(64 * 7 * 7, 128);
        private readonly Linear logits = Linear(128, 10);
        private readonly Dropout drop1 = Dropout(0.1);
        private readonly Dropout drop2 = Dropout(0.3);

        public Cnn() : base(nameof(Cnn)) => RegisterComponents();

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var h = functional.max_pool2d(functional.relu(bn1.forward(conv1.forward(x))), 2);
            h = functional.max_pool2d(functional.relu(bn2.forward(conv2.forward(h))), 2);
            h = drop1.forward(h).flatten(1);
            h = drop2.forward(functional.relu(dense.forward(h)));
            return logits.forward(h).MoveToOuterDisposeScope();
        }
    }

    /// <summary>Deep narrow MLP: 24 hidden Linear(64) layers with ReLU (input 64), then Linear(10): 50 parameter tensors.</summary>
    public sealed class DeepNarrow : Module<Tensor, Tensor>
    {
        private readonly ModuleList<Linear> hidden = new([.. Enumerable.Range(0, 24).Select(_ => Linear(64, 64))]);
        private readonly Linear logits = Linear(64, 10);

        public DeepNarrow() : base(nameof(DeepNarrow)) => RegisterComponents();

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            foreach (var layer in hidden) x = functional.relu(layer.forward(x));
            return logits.forward(x).MoveToOuterDisposeScope();
        }
    }

    /// <summary>
    /// A pre-LayerNorm Transformer block as in MiniHaiku's (Haiku's) layers: LayerNorm, causal multi-head
    /// self-attention (query/key/value/output <see cref="Linear"/> projections and
    /// <c>scaled_dot_product_attention</c>), residual, LayerNorm, Linear(4·D)-GELU(tanh)-Linear(D), residual.
    /// </summary>
    public sealed class TransformerBlock : Module<Tensor, Tensor>
    {
        private readonly int heads;
        private readonly LayerNorm ln1, ln2;
        private readonly Linear query, key, value, output, up, down;

        public TransformerBlock(int width, int heads) : base(nameof(TransformerBlock))
        {
            this.heads = heads;
            ln1 = LayerNorm(width);
            query = Linear(width, width);
            key = Linear(width, width);
            value = Linear(width, width);
            output = Linear(width, width);
            ln2 = LayerNorm(width);
            up = Linear(width, 4 * width);
            down = Linear(4 * width, width);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            long b = x.shape[0], t = x.shape[1], d = x.shape[2];
            var a = ln1.forward(x);
            Tensor Heads(Linear projection) => projection.forward(a).view(b, t, heads, d / heads).transpose(1, 2);
            var attended = functional.scaled_dot_product_attention(Heads(query), Heads(key), Heads(value), is_casual: true);
            var r = x + output.forward(attended.transpose(1, 2).reshape(b, t, d));
            var m = down.forward(functional.gelu(up.forward(ln2.forward(r)), TorchSharp.Modules.GELU.Approximate.tanh));
            return (r + m).MoveToOuterDisposeScope();
        }
    }

    /// <summary>
    /// 4-block pre-LayerNorm Transformer language model (D = 128, 8 heads, T = 64): Embedding(256, 128), 4 blocks,
    /// LayerNorm, Linear(128, 256). Same parameters, tensor for tensor (69), as <see cref="HaikuModels.Transformer"/>.
    /// </summary>
    public sealed class Transformer : Module<Tensor, Tensor>
    {
        private readonly Embedding embed = Embedding(HaikuModels.TransformerVocab, 128);
        private readonly ModuleList<TransformerBlock> blocks = new([.. Enumerable.Range(0, 4).Select(_ => new TransformerBlock(128, 8))]);
        private readonly LayerNorm norm = LayerNorm(128);
        private readonly Linear logits = Linear(128, HaikuModels.TransformerVocab);

        public Transformer() : base(nameof(Transformer)) => RegisterComponents();

        public override Tensor forward(Tensor tokens)
        {
            using var scope = NewDisposeScope();
            var h = embed.forward(tokens);
            foreach (var block in blocks) h = block.forward(h);
            return logits.forward(norm.forward(h)).MoveToOuterDisposeScope();
        }
    }

    /// <summary>Two 32-wide linear layers with ReLU between (input 32).</summary>
    public sealed class Tiny : Module<Tensor, Tensor>
    {
        private readonly Linear first = Linear(32, 32);
        private readonly Linear second = Linear(32, 32);

        public Tiny() : base(nameof(Tiny)) => RegisterComponents();

        public override Tensor forward(Tensor x)
        {
            using var h = first.forward(x);
            using var a = functional.relu(h);
            return second.forward(a);
        }
    }

    /// <summary>1000-2000-2000-2000 linear stack: 10,006,000 parameters.</summary>
    public sealed class Big : Module<Tensor, Tensor>
    {
        private readonly Linear a = Linear(1000, 2000);
        private readonly Linear b = Linear(2000, 2000);
        private readonly Linear c = Linear(2000, 2000);

        public Big() : base(nameof(Big)) => RegisterComponents();

        public override Tensor forward(Tensor x) => c.forward(b.forward(a.forward(x)));
    }
}
