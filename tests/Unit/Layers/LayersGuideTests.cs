using MiniHaiku.Layers;
using MiniHaiku.Nets;

namespace MiniHaiku.Tests.Layers;

// The code of docs/layers.md, compiled and run here so the guide is known to work. Keep the two in sync.

// --- docs/layers.md: "A small CNN" ---
public static class SmallCnn
{
    /// <summary>28×28 grey images (NHWC) → 10 logits, with batch norm and dropout.</summary>
    public static Model<Tensor> Logits(Tensor images, bool isTraining) =>
        from c1 in Conv2D.Create(8, 3).Call(images)                      // [N, 28, 28, 8]
        from n1 in BatchNorm.Create().Call(c1, isTraining)
        from p1 in MaxPool.Create(2).Call(Activations.Relu(n1))          // [N, 14, 14, 8]
        from c2 in Conv2D.Create(16, 3, stride: 2).Call(p1)              // [N, 7, 7, 16]
        from flat in Flatten.Create().Call(Activations.Relu(c2))         // [N, 784]
        from dropped in Hk.Dropout(0.1, flat, isTraining)
        from logits in Linear.Create(10).Call(dropped)
        select logits;
}

// --- docs/layers.md: "A Transformer block" ---
/// <summary>A pre-LayerNorm Transformer block: causal self-attention and a GELU MLP, each residual.</summary>
public sealed record TransformerBlock(ModuleName Name, int NumHeads, double DropoutRate) : Module(Name)
{
    public static Model<TransformerBlock> Create(int numHeads, double dropoutRate = 0.1, string? name = null) =>
        Hk.Module(n => new TransformerBlock(n, numHeads, dropoutRate), name);

    public Model<Tensor> Call(Tensor x, bool isTraining)
    {
        var width = (int)x.shape[^1];
        return Method(
            from a in LayerNorm.Create().Call(x)
            from attended in MultiHeadAttention.Create(NumHeads, keySize: width / NumHeads).Call(a, causal: true)
            from dropped in Hk.Dropout(DropoutRate, attended, isTraining)
            let h = x + dropped
            from b in LayerNorm.Create().Call(h)
            from mlp in MLP.Create([4 * width, width], Activations.Gelu, dropoutRate: DropoutRate).Call(b, isTraining)
            select h + mlp);
    }
}

public static class TinyLanguageModel
{
    /// <summary>Token ids [N, T] → next-token logits [N, T, vocab].</summary>
    public static Model<Tensor> Logits(Tensor tokens, int vocab, int width, int layers, bool isTraining) =>
        from embedded in Embed.Create(vocab, width).Call(tokens)
        from h in Hk.Aggregate(Enumerable.Range(0, layers), embedded, (x, _) =>
            from block in TransformerBlock.Create(numHeads: 2)
            from y in block.Call(x, isTraining)
            select y)
        from normed in LayerNorm.Create().Call(h)
        from logits in Linear.Create(vocab).Call(normed)
        select logits;
}
// --- docs/layers.md: "Deep, resettable and structured cores" ---
public static class DeepRnnExample
{
    /// <summary>Two LSTMs with skip connections, reset where an episode starts; xs [T, B, F], starts [T, B].</summary>
    public static Model<UnrollResult<Tensor, DeepRNNState>> Unroll(Tensor xs, Tensor starts) =>
        from lower in LSTM.Create(16)
        from upper in LSTM.Create(16)
        from deep in DeepRNN.CreateWithSkipConnections([RecurrentLayer.Core(lower), RecurrentLayer.Core(upper)])
        from core in ResetCore.Create(deep)
        from r in Recurrent.DynamicUnroll(core, new ResetInput(xs, starts), core.InitialState(xs.shape[1], xs.dtype))
        select r;                                   // r.Outputs [T, B, 32]; r.FinalState.Get<LSTMState>(1)
}
// --- docs/layers.md: "Conditional normalisation" ---
public static class ConditionalLayerNorm
{
    /// <summary>FiLM-style layer norm of x [N, F]: scale and offset computed from a condition [N, K].</summary>
    public static Model<Tensor> Apply(Tensor x, Tensor condition) =>
        from scale in Linear.Create((int)x.shape[^1], name: "to_scale").Call(condition)
        from offset in Linear.Create((int)x.shape[^1], name: "to_offset").Call(condition)
        from y in LayerNorm.Create(createScale: false, createOffset: false).Call(x, scale, offset)
        select y;
}
// --- docs/layers.md: "Writing a layer" ---
/// <summary>Multiplies its input by one learned scalar, ~/Scale_n/__call__/scale (starts at 1).</summary>
public sealed record Scale(ModuleName Name) : Layer(Name)
{
    public static Model<Scale> Create(string? name = null) => Hk.Module(n => new Scale(n), name);

    protected override Model<Tensor> Forward(Tensor x) =>
        from s in Hk.GetParam("scale", [], Initializers.Ones(), x.dtype)
        select x * s;
}
// --- end of the guide's code ---

public class LayersGuideTests
{
    private static Params SgdStep(Params p, Func<Params, Tensor> loss, double learningRate)
    {
        var keys = p.Keys.ToArray();
        var leaves = keys.Select(k => p[k].detach().clone().requires_grad_(true)).ToArray();
        var l = loss(Params.Create(keys.Zip(leaves, KeyValuePair.Create)));
        Assert.True(l.requires_grad && l.dim() == 0 && l.is_floating_point());
        var grads = torch.autograd.grad([l], leaves, retain_graph: false, create_graph: false, allow_unused: true);
        using var noGrad = no_grad();
        return Params.Create(keys.Select((k, i) => KeyValuePair.Create(k,
            grads[i] is { IsInvalid: false } g ? leaves[i].detach() - learningRate * g : leaves[i].detach())));
    }

    [Fact]
    public void SmallCnnInitsTrainsAndEvaluates()
    {
        using var g = new torch.Generator(1);
        var images = torch.randn([8, 28, 28, 1], generator: g);
        var labels = torch.randint(0, 10, [8], generator: g);
        var cnn = Hk.TransformWithState(((Tensor Images, bool IsTraining) b) => SmallCnn.Logits(b.Images, b.IsTraining));

        var (parameters, state) = cnn.Init(0, (images, true));
        Assert.Equal(8, parameters.Count);                 // 2 convs, BatchNorm scale/offset, Linear: 2 each
        Assert.Equal(2, state.Count);                      // BatchNorm mean_ema, var_ema
        Assert.Equal([3L, 3, 1, 8], parameters["~/Conv2D_0/__call__/w"].shape);
        Assert.Equal([784L, 10], parameters["~/Linear_0/__call__/w"].shape);

        var (logits, _) = cnn.Apply(parameters, state, (images, false));      // evaluation needs no key
        Assert.Equal([8L, 10], logits.shape);

        double Loss(Params p) => Losses.SoftmaxCrossEntropy(cnn.Apply(p, state, (images, false)).Output, labels).item<float>();
        var before = Loss(parameters);
        for (var step = 0; step < 5; step++)
            parameters = SgdStep(parameters, p => Losses.SoftmaxCrossEntropy(cnn.Apply(p, state, (images, true), seed: step).Output, labels), 0.05);
        Assert.True(Loss(parameters) < before, $"loss did not decrease: {before} → {Loss(parameters)}");
    }

    [Fact]
    public void TinyLanguageModelIsCausalAndTrains()
    {
        using var g = new torch.Generator(2);
        var tokens = torch.randint(0, 11, [4, 6], generator: g);
        var lm = Hk.Transform(((Tensor Tokens, bool IsTraining) b) => TinyLanguageModel.Logits(b.Tokens, vocab: 11, width: 8, layers: 2, b.IsTraining));
        var parameters = lm.Init(0, (tokens, false));
        // Embed 1 + 2 blocks × (2 LayerNorms × 2 + attention 4 × 2 + MLP 2 × 2 = 16) + final LayerNorm 2 + Linear 2.
        Assert.Equal(1 + 2 * 16 + 2 + 2, parameters.Count);
        Assert.Contains("~/TransformerBlock_1/__call__/MultiHeadAttention_0/__call__/query/__call__/w", parameters.Keys);

        var logits = lm.Apply(parameters, (tokens, false));
        Assert.Equal([4L, 6, 11], logits.shape);
        var changedLast = tokens.clone();
        changedLast[.., 5] = (tokens[.., 5] + 1) % 11;
        Assert.True(logits[.., ..5].allclose(lm.Apply(parameters, (changedLast, false))[.., ..5], 1e-5, 1e-6));

        // Next-token prediction on a fixed batch: a few SGD steps lower the loss.
        var inputs = tokens[.., ..5];
        var targets = tokens[.., 1..];
        double Loss(Params p) => Losses.SoftmaxCrossEntropy(lm.Apply(p, (inputs, false)), targets).item<float>();
        var before = Loss(parameters);
        for (var step = 0; step < 5; step++)
            parameters = SgdStep(parameters, p => Losses.SoftmaxCrossEntropy(lm.Apply(p, (inputs, true), seed: step), targets), 0.1);
        Assert.True(Loss(parameters) < before, $"loss did not decrease: {before} → {Loss(parameters)}");
    }

    [Fact]
    public void DeepRnnExampleResetsAndStacks()
    {
        using var g = new torch.Generator(3);
        var xs = torch.randn([5, 2, 3], generator: g);
        var starts = torch.zeros([5, 2], dtype: ScalarType.Bool);
        starts[3, 1] = true;
        var f = Hk.Transform(((Tensor Xs, Tensor Starts) b) => DeepRnnExample.Unroll(b.Xs, b.Starts));
        var p = f.Init(0, (xs, starts));
        Assert.Equal([3L + 16 + 16, 64], p["~/LSTM_1/__call__/linear/__call__/w"].shape);
        var r = f.Apply(p, (xs, starts));
        Assert.Equal([5L, 2, 32], r.Outputs.shape);
        Assert.Equal([2L, 16], r.FinalState.Get<LSTMState>(1).Cell.shape);
        var fresh = f.Apply(p, (xs[3..], starts[3..])).Outputs;
        Assert.True(fresh[.., 1].allclose(r.Outputs[3.., 1], 1e-5, 1e-6), "example 1 restarts at step 3");
        Assert.False(fresh[.., 0].allclose(r.Outputs[3.., 0], 1e-5, 1e-6), "example 0 carries its state on");
    }

    [Fact]
    public void ResNetSnippetOfTheGuideBuildsResNet18()
    {
        // docs/layers.md "Nets", verbatim.
        var resnet = Hk.TransformWithState(((Tensor Images, bool IsTraining) b) =>
            from net in ResNet.ResNet18(numClasses: 10)
            from logits in net.Call(b.Images, b.IsTraining)       // images [N, H, W, C]
            select logits);
        var (parameters, state) = resnet.Init(0, (torch.zeros(1, 32, 32, 3), false));
        Assert.Equal(11_689_512 - 513_000 + 5_130, parameters.ElementCount);   // the 1000-class head replaced by 10 classes
        Assert.Equal([1L, 10], resnet.Apply(parameters, state, (torch.zeros(1, 32, 32, 3), false)).Output.shape);
    }

    [Fact]
    public void ConditionalLayerNormInitsAndTrains()
    {
        using var g = new torch.Generator(3);
        var x = torch.randn([4, 8], generator: g);
        var condition = torch.randn([4, 3], generator: g);
        var target = torch.randn([4, 8], generator: g);
        var f = Hk.Transform(((Tensor X, Tensor C) b) => ConditionalLayerNorm.Apply(b.X, b.C));
        var parameters = f.Init(0, (x, condition));
        Assert.Equal("{'~/to_offset/__call__/b': (8,), '~/to_offset/__call__/w': (3, 8), '~/to_scale/__call__/b': (8,), '~/to_scale/__call__/w': (3, 8)}",
            parameters.Shapes().ToString());
        double Loss(Params p) => Losses.Mse(f.Apply(p, (x, condition)), target).item<float>();
        var before = Loss(parameters);
        for (var step = 0; step < 5; step++)
            parameters = SgdStep(parameters, p => Losses.Mse(f.Apply(p, (x, condition)), target), 0.1);
        Assert.True(Loss(parameters) < before, $"loss did not decrease: {before} → {Loss(parameters)}");
    }

    [Fact]
    public void TheGuidesOwnLayerIsScopedAndTrains()
    {
        var x = torch.ones(3);
        var f = Hk.Transform((Tensor v) =>
            from a in Scale.Create().Call(v)
            from scale in Scale.Create()
            from b in scale.Call(a)
            select b);
        var parameters = f.Init(0, x);
        Assert.Equal("{'~/Scale_0/__call__/scale': (), '~/Scale_1/__call__/scale': ()}", parameters.Shapes().ToString());
        double Loss(Params p) => Losses.Mse(f.Apply(p, x), torch.full(3, 4.0f)).item<float>();
        var before = Loss(parameters);
        for (var step = 0; step < 5; step++)
            parameters = SgdStep(parameters, p => Losses.Mse(f.Apply(p, x), torch.full(3, 4.0f)), 0.05);
        Assert.True(Loss(parameters) < before, $"loss did not decrease: {before} → {Loss(parameters)}");
    }

    /// <summary>The layer table of docs/layers.md lists every public module of MiniHaiku.Layers, each with its Haiku name.</summary>
    [Fact]
    public void TheGuideTableListsEveryLayerWithItsHaikuName()
    {
        var guide = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "layers.md"));
        var header = guide.IndexOf("| Layer | Haiku |", StringComparison.Ordinal);
        Assert.True(header >= 0, "docs/layers.md has no '| Layer | Haiku | …' table");
        var rows = guide[header..].Split('\n').Skip(2).TakeWhile(l => l.StartsWith('|')).ToArray();
        Assert.NotEmpty(rows);
        foreach (var row in rows)
        {
            var cells = row.Split('|', StringSplitOptions.TrimEntries);
            Assert.True(cells.Length >= 5, $"row without a Haiku column: {row}");
            Assert.Matches(@"^`hk\.[A-Za-z_.]", cells[2]);
        }
        var firstColumns = string.Join("\n", rows.Select(r => r.Split('|')[1]));
        var modules = typeof(Linear).Assembly.GetExportedTypes()
            .Where(t => t.Namespace == "MiniHaiku.Layers" && t.IsSubclassOf(typeof(Module)) && !t.IsAbstract)
            .Select(t => t.Name.Split('`')[0]).ToArray();   // ResetCore`1 → ResetCore
        Assert.Contains("Conv3D", modules);
        var missing = modules.Where(m => !System.Text.RegularExpressions.Regex.IsMatch(firstColumns, $@"\b{m}\b")).ToArray();
        Assert.True(missing.Length == 0, $"layers missing from the docs/layers.md table: {string.Join(", ", missing)}");
    }

    /// <summary>Adding a layer = one source file (with an &lt;example&gt;), one test file, one row: the file and the example are checked here.</summary>
    [Fact]
    public void EveryLayerHasItsTestFileAndAnExample()
    {
        var docs = System.Xml.Linq.XDocument.Load(Path.ChangeExtension(typeof(Linear).Assembly.Location, ".xml"));
        var withExample = docs.Descendants("member")
            .Where(m => m.Element("example") is not null)
            .Select(m => (string)m.Attribute("name")!)
            .ToHashSet(StringComparer.Ordinal);
        var layers = typeof(Linear).Assembly.GetExportedTypes()
            .Where(t => t.Namespace == "MiniHaiku.Layers" && t.IsSubclassOf(typeof(Module)) && !t.IsAbstract)
            .ToArray();
        Assert.Contains(typeof(Conv3D), layers);
        var noTests = layers.Select(t => t.Name.Split('`')[0])
            .Where(n => !File.Exists(Path.Combine(RepositoryRoot(), "tests", "Unit", "Layers", n + "Tests.cs"))).ToArray();
        Assert.True(noTests.Length == 0, $"layers without tests/Unit/Layers/{{Layer}}Tests.cs: {string.Join(", ", noTests)}");
        var noExample = layers.Where(t => !withExample.Contains("T:" + t.FullName)).Select(t => t.Name).ToArray();
        Assert.True(noExample.Length == 0, $"layers without an <example> in their XML docs: {string.Join(", ", noExample)}");
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "MiniHaiku.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("MiniHaiku.sln not found above " + AppContext.BaseDirectory);
    }
}
