using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using TModules = TorchSharp.Modules;

/// <summary>The same models as idiomatic TorchSharp modules.</summary>
internal static class TorchModels
{
    public sealed class Mlp : Module<Tensor, Tensor>
    {
        private readonly TModules.Linear hidden1 = Linear(784, 256), hidden2 = Linear(256, 128), logits = Linear(128, 10);
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

    public sealed class DeepNarrow : Module<Tensor, Tensor>
    {
        private readonly TModules.ModuleList<TModules.Linear> hidden = new([.. Enumerable.Range(0, 24).Select(_ => Linear(64, 64))]);
        private readonly TModules.Linear logits = Linear(64, 10);
        public DeepNarrow() : base(nameof(DeepNarrow)) => RegisterComponents();
        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            foreach (var layer in hidden) x = functional.relu(layer.forward(x));
            return logits.forward(x).MoveToOuterDisposeScope();
        }
    }

    public sealed class Block : Module<Tensor, Tensor>
    {
        private readonly int heads;
        private readonly TModules.LayerNorm ln1, ln2;
        private readonly TModules.Linear query, key, value, output, up, down;
        public Block(int width, int heads) : base(nameof(Block))
        {
            this.heads = heads;
            ln1 = LayerNorm(width); ln2 = LayerNorm(width);
            query = Linear(width, width); key = Linear(width, width); value = Linear(width, width); output = Linear(width, width);
            up = Linear(width, 4 * width); down = Linear(4 * width, width);
            RegisterComponents();
        }
        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            long b = x.shape[0], t = x.shape[1], d = x.shape[2];
            var a = ln1.forward(x);
            Tensor Heads(TModules.Linear projection) => projection.forward(a).view(b, t, heads, d / heads).transpose(1, 2);
            var attended = functional.scaled_dot_product_attention(Heads(query), Heads(key), Heads(value), is_casual: true);
            var r = x + output.forward(attended.transpose(1, 2).reshape(b, t, d));
            var m = down.forward(functional.gelu(up.forward(ln2.forward(r)), TModules.GELU.Approximate.tanh));
            return (r + m).MoveToOuterDisposeScope();
        }
    }

    public sealed class Transformer : Module<Tensor, Tensor>
    {
        private readonly TModules.Embedding embed = Embedding(256, 128);
        private readonly TModules.ModuleList<Block> blocks = new([.. Enumerable.Range(0, 4).Select(_ => new Block(128, 8))]);
        private readonly TModules.LayerNorm norm = LayerNorm(128);
        private readonly TModules.Linear logits = Linear(128, 256);
        public Transformer() : base(nameof(Transformer)) => RegisterComponents();
        public override Tensor forward(Tensor tokens)
        {
            using var scope = NewDisposeScope();
            var h = embed.forward(tokens);
            foreach (var block in blocks) h = block.forward(h);
            return logits.forward(norm.forward(h)).MoveToOuterDisposeScope();
        }
    }
}
