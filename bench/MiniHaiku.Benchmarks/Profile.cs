using System.Collections.Immutable;
using System.Diagnostics;
using MiniHaiku.Layers;
using MiniHaiku.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Benchmarks;

/// <summary>
/// Stopwatch breakdowns (<c>--profile</c>) explaining where the time of the benchmarks goes: the
/// phases of a MiniHaiku train step, the parts of Init, and the pieces of one GetParam.
/// </summary>
public static class Profile
{
    /// <summary>
    /// Runs the breakdowns named in <paramref name="parts"/> (train, adam, cnn, tiny, init, initab, mlp, mlpops, deep, transformer, layers, attention, getparam; all if none) and prints
    /// them; with <c>cpu</c> among them, times are the thread's CPU time instead of wall time.
    /// </summary>
    /// <param name="parts">The command-line arguments after --profile.</param>
    public static void Run(IReadOnlyCollection<string> parts)
    {
        BenchSettings.Apply();
        threadCpuTime = parts.Contains("cpu");
        parts = parts.Where(p => p != "cpu").ToArray();
        Console.WriteLine($"threads: {torch.get_num_threads()}, timing: {(threadCpuTime ? "this thread's CPU time" : "wall clock")}");
        bool Wants(string part) => parts.Count == 0 || parts.Contains(part);
        if (Wants("train")) TrainStepPhases();
        if (Wants("adam")) AdamPieces();
        if (Wants("cnn")) CnnPhases();
        if (Wants("tiny")) TinyApplyPieces();
        if (Wants("init")) InitParts();
        if (Wants("initab")) InitInterleaved();
        if (Wants("mlp")) StepPhases("MLP 784-256-128-10, batch 128", HaikuModels.Mlp, () => new TorchModels.Mlp(),
            g => (torch.rand(128, 1, 28, 28, generator: g), torch.randint(0, 10, [128], generator: g)));
        if (Wants("mlp") || Wants("mlpops")) MlpRawOps();
        if (Wants("deep")) StepPhases("Deep narrow MLP 24×Linear(64), batch 32", HaikuModels.DeepNarrow, () => new TorchModels.DeepNarrow(),
            g => (torch.rand(32, 64, generator: g), torch.randint(0, 10, [32], generator: g)));
        if (Wants("transformer")) StepPhases("Transformer 4 blocks, D 128, 8 heads, B 8, T 64", HaikuModels.Transformer, () => new TorchModels.Transformer(),
            g => (torch.randint(0, HaikuModels.TransformerVocab, [8, 64], generator: g), torch.randint(0, HaikuModels.TransformerVocab, [8, 64], generator: g)));
        if (Wants("layers")) TransformerLayers();
        if (Wants("attention")) AttentionPieces();
        if (Wants("getparam")) GetParamPieces();
    }

    /// <summary>
    /// Forward + backward of each kind of layer of the Transformer row alone, on its real input ([8, 64, 128]),
    /// MiniHaiku (<c>Apply</c> on leaf parameters, then <c>backward</c>) next to the TorchSharp modules of
    /// <see cref="TorchModels.TransformerBlock"/>, interleaved, medians of 21 rounds.
    /// </summary>
    private static void TransformerLayers()
    {
        Console.WriteLine("Transformer layers alone, forward + backward on [8, 64, 128], interleaved, median of 21 rounds:");
        using var g = new Generator(7);
        var x = torch.randn([8, 64, 128], generator: g).requires_grad_();
        var ids = torch.randint(0, HaikuModels.TransformerVocab, [8, 64], generator: g);
        Action Haiku(Func<Tensor, Model<Tensor>> f, Tensor input)
        {
            var m = Hk.Transform(f);
            var p = m.Init(0, input);
            foreach (var t in p.Values) t.requires_grad_();
            return () =>
            {
                using var s = NewDisposeScope();
                m.Apply(p, input).sum().backward();
            };
        }
        Action Torch(Func<Tensor, Tensor> f, Tensor input) => () =>
        {
            using var s = NewDisposeScope();
            f(input).sum().backward();
        };
        torch.manual_seed(0);
        var ln = nn.LayerNorm(128);
        var block = new TorchModels.TransformerBlock(128, 8);
        var q = nn.Linear(128, 128);
        var k = nn.Linear(128, 128);
        var v = nn.Linear(128, 128);
        var o = nn.Linear(128, 128);
        var up = nn.Linear(128, 512);
        var down = nn.Linear(512, 128);
        var embed = nn.Embedding(HaikuModels.TransformerVocab, 128);
        var table = torch.randn([HaikuModels.TransformerVocab, 128], generator: g).requires_grad_();
        var labels = torch.randint(0, HaikuModels.TransformerVocab, [8, 64], generator: g);
        var model = Hk.Transform<Tensor, Tensor>(HaikuModels.Transformer);
        var p = model.Init(0, ids);
        var leaves = p.Map(t => t.detach().requires_grad_());
        var valueAndGrad = Grad.ValueAndGrad(q => Losses.SoftmaxCrossEntropy(model.Apply(q, ids), labels).mean());
        var torchModel = new TorchModels.Transformer();
        Tensor TorchAttention(Tensor a)
        {
            Tensor Heads(nn.Module<Tensor, Tensor> projection) => projection.forward(a).view(8, 64, 8, 16).transpose(1, 2);
            var attended = nn.functional.scaled_dot_product_attention(Heads(q), Heads(k), Heads(v), is_casual: true);
            return o.forward(attended.transpose(1, 2).reshape(8, 64, 128));
        }
        (string Name, Action Run)[] cases =
        [
            ("MiniHaiku LayerNorm", Haiku(t => LayerNorm.Create().Call(t), x)),
            ("TorchSharp LayerNorm", Torch(ln.forward, x)),
            ("MiniHaiku MultiHeadAttention(8, 16), causal", Haiku(t => MultiHeadAttention.Create(8, keySize: 16).Call(t, causal: true), x)),
            ("TorchSharp 4 Linear + scaled_dot_product_attention(is_causal)", Torch(TorchAttention, x)),
            ("MiniHaiku MLP [512, 128], GELU", Haiku(t => MLP.Create([512, 128], Activations.Gelu).Call(t), x)),
            ("TorchSharp Linear-GELU(tanh)-Linear", Torch(t => down.forward(nn.functional.gelu(up.forward(t), TorchSharp.Modules.GELU.Approximate.tanh)), x)),
            ("MiniHaiku Linear(256)", Haiku(t => Linear.Create(256).Call(t), x)),
            ("TorchSharp Linear(128, 256)", Torch(nn.Linear(128, 256).forward, x)),
            ("MiniHaiku Embed(256, 128) on [8, 64] ids", Haiku(t => Embed.Create(HaikuModels.TransformerVocab, 128).Call(t), ids)),
            ("TorchSharp Embedding(256, 128)", Torch(embed.forward, ids)),
            ("  ids.min().item() and ids.max().item() (Embed's range check)", () => { using var s = NewDisposeScope(); _ = ids.min().item<long>() + ids.max().item<long>(); }),
            ("  table.index_select(0, ids) (Embed's lookup before) + backward", () =>
            {
                using var s = NewDisposeScope();
                table.index_select(0, ids.reshape(-1)).reshape(8, 64, 128).sum().backward();
            }),
            ("  table[ids] (Embed's lookup) + backward", () => { using var s = NewDisposeScope(); table[TensorIndex.Tensor(ids)].sum().backward(); }),
            ("TorchSharp whole block (reference)", Torch(block.forward, x)),
            ("MiniHaiku whole model, no grad", () => { using var s = NewDisposeScope(); using var ng = no_grad(); model.Apply(leaves, ids); }),
            ("TorchSharp whole model, no grad", () => { using var s = NewDisposeScope(); using var ng = no_grad(); torchModel.forward(ids); }),
            ("MiniHaiku whole model + loss, backward on leaf parameters", () =>
            {
                using var s = NewDisposeScope();
                Losses.SoftmaxCrossEntropy(model.Apply(leaves, ids), labels).mean().backward();
            }),
            ("MiniHaiku whole model + loss, Grad.ValueAndGrad", () => { using var s = NewDisposeScope(); valueAndGrad(p); }),
            ("TorchSharp whole model + loss, backward", () =>
            {
                using var s = NewDisposeScope();
                nn.functional.cross_entropy(torchModel.forward(ids).flatten(0, 1), labels.flatten()).backward();
            }),
        ];
        PrintInterleaved(cases);
    }

    /// <summary>
    /// The pieces of causal self-attention on the Transformer row's input ([8, 64, 128], 8 heads of 16), forward +
    /// backward, raw torch ops: the q/k/v projections as three <c>addmm</c>s or one over the concatenated weights,
    /// <c>scaled_dot_product_attention(is_causal)</c> against the composed maths, and GELU; interleaved, medians of 21 rounds.
    /// </summary>
    private static void AttentionPieces()
    {
        Console.WriteLine("Causal self-attention pieces on [8, 64, 128], 8 heads × 16, forward + backward, interleaved, median of 21 rounds:");
        using var g = new Generator(11);
        var x = torch.randn([8, 64, 128], generator: g).requires_grad_();
        Tensor Leaf(params long[] shape) => (torch.randn(shape, generator: g) * 0.1).detach().requires_grad_();
        var (wq, wk, wv, wo) = (Leaf(128, 128), Leaf(128, 128), Leaf(128, 128), Leaf(128, 128));
        var (bq, bk, bv, bo) = (Leaf(128), Leaf(128), Leaf(128), Leaf(128));
        var qh = Leaf(8, 8, 64, 16);
        var kh = Leaf(8, 8, 64, 16);
        var vh = Leaf(8, 8, 64, 16);
        var hidden = Leaf(8, 64, 512);
        var small = Leaf(128, 128);
        static Tensor Addmm(Tensor b, Tensor a, Tensor w) => torch.addmm(b, a, w, 1, 1);
        Tensor Heads(Tensor y) => y.view(8, 64, 8, 16).transpose(1, 2);
        Tensor Merge(Tensor h) => h.transpose(1, 2).reshape(8, 64, 128);
        Tensor Out(Tensor h) => Addmm(bo, Merge(h).reshape(-1, 128), wo);
        Tensor Separate(Func<Tensor, Tensor, Tensor, Tensor> attend)
        {
            var x2 = x.reshape(-1, 128);
            return Out(attend(Heads(Addmm(bq, x2, wq)), Heads(Addmm(bk, x2, wk)), Heads(Addmm(bv, x2, wv))));
        }
        Tensor Fused(Func<Tensor, Tensor, Tensor, Tensor> attend)
        {
            var qkv = Addmm(torch.cat([bq, bk, bv]), x.reshape(-1, 128), torch.cat([wq, wk, wv], 1)).view(8, 64, 3, 8, 16).permute(2, 0, 3, 1, 4);
            return Out(attend(qkv[0], qkv[1], qkv[2]));
        }
        Tensor FusedSplit(Func<Tensor, Tensor, Tensor, Tensor> attend)
        {
            var qkv = Addmm(torch.cat([bq, bk, bv]), x.reshape(-1, 128), torch.cat([wq, wk, wv], 1)).split(128, 1);
            return Out(attend(Heads(qkv[0]), Heads(qkv[1]), Heads(qkv[2])));
        }
        Tensor Sdpa(Tensor q, Tensor k, Tensor v) => nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true);
        using var blocked = torch.ones(64, 64, dtype: ScalarType.Bool).triu(1);
        using var scale = (1 / Math.Sqrt(16)).ToScalar();
        using var minusInf = double.NegativeInfinity.ToScalar();
        Tensor Composed(Tensor q, Tensor k, Tensor v) =>
            q.matmul(k.transpose(-2, -1)).mul_(scale).masked_fill_(blocked, minusInf).softmax(-1).matmul(v);
        Action Run(Func<Tensor> f) => () => { using var s = NewDisposeScope(); f().sum().backward(); };
        (string Name, Action Run)[] cases =
        [
            ("q, k, v: 3 addmm, SDPA(is_causal), merge, out addmm", Run(() => Separate(Sdpa))),
            ("q, k, v: 1 addmm over cat'd w/b, SDPA, merge, out", Run(() => Fused(Sdpa))),
            ("q, k, v: 1 addmm over cat'd w/b, split, SDPA, merge, out", Run(() => FusedSplit(Sdpa))),
            ("q, k, v: 3 addmm, SDPA(is_causal), merge, out addmm (again)", Run(() => Separate(Sdpa))),
            ("q, k, v: 3 addmm, composed attention, merge, out", Run(() => Separate(Composed))),
            ("q, k, v: 1 addmm, composed attention, merge, out", Run(() => Fused(Composed))),
            ("  SDPA(is_causal) alone, contiguous heads", Run(() => Sdpa(qh, kh, vh))),
            ("  composed attention alone (matmul, masked softmax, matmul)", Run(() => Composed(qh, kh, vh))),
            ("  3 addmm alone", Run(() => { var x2 = x.reshape(-1, 128); return Addmm(bq, x2, wq) + Addmm(bk, x2, wk) + Addmm(bv, x2, wv); })),
            ("  1 addmm over cat'd w/b alone", Run(() => Addmm(torch.cat([bq, bk, bv]), x.reshape(-1, 128), torch.cat([wq, wk, wv], 1)))),
            ("  GELU(tanh) on [8, 64, 512]", Run(() => nn.functional.gelu(hidden, TorchSharp.Modules.GELU.Approximate.tanh))),
            ("  Activations.Gelu on [8, 64, 512] (managed pass + custom node)", Run(() => Activations.Gelu(hidden))),
            ("  Activations.Gelu on [8, 64, 512], forward only", () => { using var s = NewDisposeScope(); using var ng = no_grad(); Activations.Gelu(hidden); }),
            ("  Activations.Gelu on [128, 128] (16,384 values)", Run(() => Activations.Gelu(small))),
            ("  GELU(tanh) on [128, 128]", Run(() => nn.functional.gelu(small, TorchSharp.Modules.GELU.Approximate.tanh))),
            ("  GELU(tanh) on [8, 64, 512], forward only", () => { using var s = NewDisposeScope(); using var ng = no_grad(); nn.functional.gelu(hidden, TorchSharp.Modules.GELU.Approximate.tanh); }),
            ("  GELU(erf) on [8, 64, 512]", Run(() => nn.functional.gelu(hidden))),
            ("  tanh on [8, 64, 512], forward only", () => { using var s = NewDisposeScope(); using var ng = no_grad(); hidden.tanh(); }),
            ("  sum + backward alone on [8, 64, 512]", Run(() => hidden)),
            ("  relu on [8, 64, 512]", Run(() => nn.functional.relu(hidden))),
        ];
        PrintInterleaved(cases);
    }

    private static void CnnPhases()
    {
        Console.WriteLine("CNN train step, batch 64 (best-of-5 mean per call):");
        using var g = new Generator(7);
        var x = torch.rand(64, 1, 28, 28, generator: g);
        var y = torch.randint(0, 10, [64], generator: g);
        var model = Hk.TransformWithState<(Tensor X, bool Training), Tensor>(HaikuModels.Cnn);
        var (p, st) = model.Init(0, (x, true));
        var key = RngKey.FromSeed(1);
        var valueAndGrad = Grad.ValueAndGrad(q => Losses.SoftmaxCrossEntropy(model.Apply(q, st, (x, true), key).Output, y));
        Row("MiniHaiku Apply, training mode, no grad", Time(30, () =>
        {
            using var s = NewDisposeScope();
            using var ng = no_grad();
            model.Apply(p, st, (x, true), key);
        }));
        Row("MiniHaiku Grad.ValueAndGrad (forward + backward)", Time(30, () =>
        {
            using var s = NewDisposeScope();
            valueAndGrad(p);
        }));
        Params grads;
        using (var s = NewDisposeScope())
        {
            grads = valueAndGrad(p).Grads;
            foreach (var t in grads.Values) t.MoveToOuterDisposeScope();
        }
        var adam = Optimizers.Adam(1e-3);
        var opt = adam.Init(p);
        Row("MiniHaiku Adam Update", Time(30, () =>
        {
            using var s = NewDisposeScope();
            adam.Update(grads, opt, p);
        }));
        var torchCnn = new TorchModels.Cnn();
        torchCnn.train();
        var torchAdam = optim.Adam(torchCnn.parameters(), 1e-3);
        Row("TorchSharp forward, training mode, no grad", Time(30, () =>
        {
            using var s = NewDisposeScope();
            using var ng = no_grad();
            torchCnn.forward(x);
        }));
        Row("TorchSharp zero_grad + forward + loss + backward", Time(30, () =>
        {
            using var s = NewDisposeScope();
            torchAdam.zero_grad();
            nn.functional.cross_entropy(torchCnn.forward(x), y).backward();
        }));
        Row("TorchSharp optim.Adam.step", Time(30, () =>
        {
            using var s = NewDisposeScope();
            torchAdam.step();
        }));

        Console.WriteLine("CNN layers, forward + backward of each layer alone on its real input size:");
        var c1In = torch.rand(64, 1, 28, 28, generator: g).requires_grad_();
        var c2In = torch.rand(64, 32, 14, 14, generator: g).requires_grad_();
        var bnIn = torch.rand(64, 32, 28, 28, generator: g).requires_grad_();
        var poolIn = torch.rand(64, 32, 28, 28, generator: g).requires_grad_();
        var dropIn = torch.rand(64, 64, 7, 7, generator: g).requires_grad_();
        double Layer(Func<Tensor, Model<Tensor>> f, Tensor input, bool stateful = false)
        {
            if (stateful)
            {
                var m = Hk.TransformWithState<Tensor, Tensor>(f);
                var (lp, ls) = m.Init(0, input);
                foreach (var t in lp.Values) t.requires_grad_();
                return Time(30, () =>
                {
                    using var s = NewDisposeScope();
                    m.Apply(lp, ls, input, key).Output.sum().backward();
                });
            }
            var mm = Hk.Transform<Tensor, Tensor>(f);
            var pp = mm.Init(0, input);
            foreach (var t in pp.Values) t.requires_grad_();
            return Time(30, () =>
            {
                using var s = NewDisposeScope();
                mm.Apply(pp, input, key).sum().backward();
            });
        }
        double Torch(Func<Tensor, Tensor> f, Tensor input) => Time(30, () =>
        {
            using var s = NewDisposeScope();
            f(input).sum().backward();
        });
        var conv1 = nn.Conv2d(1, 32, 3, padding: 1, bias: false);
        var conv2 = nn.Conv2d(32, 64, 3, padding: 1, bias: false);
        var bn = nn.BatchNorm2d(32);
        bn.train();
        const DataFormat nchw = DataFormat.ChannelsFirst;
        Row("  conv1 1→32: MiniHaiku Conv2D", Layer(t => Conv2D.Create(32, 3, withBias: false, dataFormat: nchw).Call(t), c1In));
        Row("  conv1 1→32: torch Conv2d", Torch(t => conv1.forward(t), c1In));
        Row("  conv2 32→64: MiniHaiku Conv2D", Layer(t => Conv2D.Create(64, 3, withBias: false, dataFormat: nchw).Call(t), c2In));
        Row("  conv2 32→64: torch Conv2d", Torch(t => conv2.forward(t), c2In));
        Row("  batch norm 32×28×28: MiniHaiku BatchNorm", Layer(t => BatchNorm.Create(dataFormat: nchw).Call(t, true), bnIn, stateful: true));
        Row("  batch norm 32×28×28: torch BatchNorm2d", Torch(t => bn.forward(t), bnIn));
        Row("  max pool 2: MiniHaiku MaxPool", Layer(t => MaxPool.Create(2, dataFormat: nchw).Call(t), poolIn));
        Row("  max pool 2: torch max_pool2d", Torch(t => nn.functional.max_pool2d(t, 2), poolIn));
        Row("  dropout 0.1: MiniHaiku Hk.Dropout", Layer(t => Hk.Dropout(0.1, t), dropIn));
        Row("  dropout 0.1: torch functional.dropout", Torch(t => nn.functional.dropout(t, 0.1, true), dropIn));
    }

    private static void AdamPieces()
    {
        Console.WriteLine("Adam update of the MLP's 6 parameter tensors, interleaved (best-of-5 mean per call):");
        using var x = torch.rand(128, 1, 28, 28);
        var p = Hk.Transform<Tensor, Tensor>(HaikuModels.Mlp).Init(0, x);
        var grads = p.Map(t => torch.ones_like(t) * 0.01);
        foreach (var (name, tx) in new (string, GradientTransformation)[]
        {
            ("ScaleByAdam()", Optimizers.ScaleByAdam()),
            ("Chain(ScaleByAdam())", Optimizers.Chain(Optimizers.ScaleByAdam())),
            ("Chain(ScaleByAdam(), ScaleByLearningRate(1e-3))", Optimizers.Chain(Optimizers.ScaleByAdam(), Optimizers.ScaleByLearningRate(1e-3))),
            ("Adam(1e-3)", Optimizers.Adam(1e-3)),
            ("ScaleByAdam() again", Optimizers.ScaleByAdam()),
        })
        {
            var st = tx.Init(p);
            Row(name, Time(100, () =>
            {
                using var s = NewDisposeScope();
                tx.Update(grads, st, p);
            }));
        }
    }

    private static void TinyApplyPieces()
    {
        Console.WriteLine("Apply of the 2-layer 32-wide MLP at batch 1, no grad (best-of-5 mean per call; bytes allocated per call):");
        using var ng = no_grad();
        using var x = torch.rand(1, 32);
        var tiny = Hk.Transform<Tensor, Tensor>(HaikuModels.Tiny);
        var p = tiny.Init(0, x);
        var torchTiny = new TorchModels.Tiny();
        var w1 = p.Values.First(t => t.shape.Length == 2);
        var b1 = p.Values.First(t => t.shape.Length == 1);
        var tidy = Hk.Transform<Tensor, Tensor>(t =>
            from h in Linear.Create(32).Call(t)
            let a = Activations.Relu(h)
            from y in Linear.Create(32).Call(a)
            select DisposeAndReturn(y, h, a));
        {
            // Interleaved: each round times 20,000 calls of each case, so all see the same disturbances.
            (string Name, Action Run)[] cases =
            [
                ("MiniHaiku Apply", () => tiny.Apply(p, x).Dispose()),
                ("TorchSharp forward", () => torchTiny.forward(x).Dispose()),
                ("MiniHaiku Apply, model disposing h and relu(h)", () => tidy.Apply(p, x).Dispose()),
                ("Linear's native calls ×2 + relu, intermediates disposed", () =>
                {
                    _ = x.dtype; _ = x.dim(); _ = x.size(-1);
                    using var h = torch.addmm(b1, x, w1, beta: 1, alpha: 1);
                    using var a = h.relu();
                    _ = a.dtype; _ = a.dim(); _ = a.size(-1);
                    torch.addmm(b1, a, w1, beta: 1, alpha: 1).Dispose();
                }),
            ];
            foreach (var c in cases) for (var i = 0; i < 5000; i++) c.Run();
            var times = cases.Select(_ => new List<double>()).ToArray();
            var ratios = new List<double>();
            for (var round = 0; round < 21; round++)
            {
                for (var k = 0; k < cases.Length; k++)
                {
                    // Untimed: the previous case's garbage and pending finalizers (freed tensors) must not land in this one's time.
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    var start = Now();
                    for (var i = 0; i < 20000; i++) cases[k].Run();
                    times[k].Add((Now() - start) / 20000);
                }
                ratios.Add(times[0][^1] / times[1][^1]);
            }
            for (var k = 0; k < cases.Length; k++) Row("interleaved median of 21 rounds: " + cases[k].Name, Median(times[k]));
            Console.WriteLine($"  {"median of the 21 per-round ratios MiniHaiku / TorchSharp",-62} {Median(ratios),12:N2} ×");
        }
        TimedRow("MiniHaiku Apply (whole)", 20000, () => tiny.Apply(p, x).Dispose());
        TimedRow("TorchSharp module forward (whole: linear, relu, linear)", 20000, () => torchTiny.forward(x).Dispose());
        TimedRow("  the native calls MiniHaiku's Linear makes (dtype, dim, size, addmm) ×2 + relu", 20000, () =>
        {
            _ = x.dtype; _ = x.dim(); _ = x.size(-1);
            using var h = torch.addmm(b1, x, w1, beta: 1, alpha: 1);
            using var a = h.relu();
            _ = a.dtype; _ = a.dim(); _ = a.size(-1);
            torch.addmm(b1, a, w1, beta: 1, alpha: 1).Dispose();
        });
        TimedRow("  the same without disposing the intermediates (as Apply leaves them)", 20000, () =>
        {
            _ = x.dtype; _ = x.dim(); _ = x.size(-1);
            var a = torch.addmm(b1, x, w1, beta: 1, alpha: 1).relu();
            _ = a.dtype; _ = a.dim(); _ = a.size(-1);
            torch.addmm(b1, a, w1, beta: 1, alpha: 1).Dispose();
        });
        foreach (var garbage in new[] { 1000, 2000, 4500 })
            TimedRow($"  the same, undisposed, plus {garbage} B of managed garbage per call", 20000, () =>
            {
                _ = x.dtype; _ = x.dim(); _ = x.size(-1);
                var a = torch.addmm(b1, x, w1, beta: 1, alpha: 1).relu();
                _ = a.dtype; _ = a.dim(); _ = a.size(-1);
                torch.addmm(b1, a, w1, beta: 1, alpha: 1).Dispose();
                for (var i = 0; i < garbage / 100; i++) GC.KeepAlive(new byte[76]);
            });
        TimedRow("  the 3 tensor calls of TorchSharp (functional.linear, relu, linear)", 20000, () =>
        {
            using var h = nn.functional.linear(x, w1.t(), b1);
            using var a = h.relu();
            nn.functional.linear(a, w1.t(), b1).Dispose();
        });
        TimedRow("  x.shape alone (interop, marshalled through a callback)", 20000, () => _ = x.shape);
        TimedRow("  x.dim() + x.size(-1) (two plain native calls)", 20000, () => _ = x.dim() + x.size(-1));
        TimedRow("  x.dtype alone", 20000, () => _ = x.dtype);
        TimedRow("  torch.addmm(b, x, w, beta: 1, alpha: 1) (floats, no Scalar) + dispose", 20000, () => torch.addmm(b1, x, w1, beta: 1, alpha: 1).Dispose());
        TimedRow("  x.matmul(w).add_(b) + dispose", 20000, () => x.matmul(w1).add_(b1).Dispose());
        TimedRow("  relu + dispose", 20000, () => x.relu().Dispose());
        TimedRow("  Activations.Relu + dispose", 20000, () => Activations.Relu(x).Dispose());
        TimedRow("  Initializers.TruncatedNormal(σ) (made by every Linear call)", 20000, () => _ = Initializers.TruncatedNormal(0.17));
        var empty = Hk.Transform<Tensor, Tensor>(t => Hk.Pure(t));
        TimedRow("  Apply of an empty model", 20000, () => empty.Apply(Params.Empty, x));
        var machinery = Hk.Transform<Tensor, Tensor>(t =>
            from h in Hk.Module(n => new NoTensorLinear(n)).SelectMany(l => l.Call(t))
            from y in Hk.Module(n => new NoTensorLinear(n)).SelectMany(l => l.Call(h))
            select y);
        var machineryParams = machinery.Init(0, x);
        TimedRow("  the machinery alone: 2 modules, 2 method scopes, 4 GetParams, no tensor op", 20000, () => machinery.Apply(machineryParams, x));
        var one = Hk.Transform<Tensor, Tensor>(t => Linear.Create(32).Call(t));
        var oneParams = one.Init(0, x);
        TimedRow("  Apply of one Linear(32)", 20000, () => one.Apply(oneParams, x).Dispose());
        var oneMachinery = Hk.Transform<Tensor, Tensor>(t => Hk.Module(n => new NoTensorLinear(n)).SelectMany(l => l.Call(t)));
        var oneMachineryParams = oneMachinery.Init(0, x);
        TimedRow("  Apply of one Linear-shaped layer without tensor op", 20000, () => oneMachinery.Apply(oneMachineryParams, x));
        var wOne = oneParams.Values.First(t => t.shape.Length == 2);
        var bOne = oneParams.Values.First(t => t.shape.Length == 1);
        TimedRow("  one Linear's native calls (dtype, dim, size, addmm)", 20000, () =>
        {
            _ = x.dtype; _ = x.dim(); _ = x.size(-1);
            torch.addmm(bOne, x, wOne, beta: 1, alpha: 1).Dispose();
        });
        TimedRow("  Apply of the same model disposing its intermediates h, relu(h)", 20000, () => tidy.Apply(p, x).Dispose());
        TimedRow("MiniHaiku Apply (whole), again", 20000, () => tiny.Apply(p, x).Dispose());
        TimedRow("TorchSharp module forward, again", 20000, () => torchTiny.forward(x).Dispose());
    }

    private static Tensor DisposeAndReturn(Tensor y, Tensor h, Tensor a)
    {
        h.Dispose();
        a.Dispose();
        return y;
    }

    /// <summary>A layer with the structure of <see cref="Linear"/> (a module, its __call__ scope, w and b) and no tensor operation.</summary>
    private sealed record NoTensorLinear(ModuleName Name) : Layer(Name)
    {
        private static readonly long[] WShape = [32, 32];
        private static readonly long[] BShape = [32];

        protected override Model<Tensor> Forward(Tensor x) =>
            from w in Hk.GetParam("w", WShape, Initializers.Zeros())
            from b in Hk.GetParam("b", BShape, Initializers.Zeros())
            select x;
    }

    /// <summary>A <see cref="Row"/> of the best-of-5 time and the bytes this thread allocates per call.</summary>
    private static void TimedRow(string what, int repeats, Action action)
    {
        var gcs = GC.CollectionCount(0);
        var micros = Time(repeats, action);
        gcs = GC.CollectionCount(0) - gcs;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++) action();
        var bytes = (GC.GetAllocatedBytesForCurrentThread() - before) / 1000.0;
        Console.WriteLine($"  {what,-62} {micros,12:N2} µs {bytes,8:N0} B {gcs,6} gen0 GCs");
    }

    /// <summary>
    /// Times <paramref name="cases"/> interleaved (each case once per round, 5 runs per timing, 21 rounds, after 5 warm-up
    /// runs) and prints each case's median per run: every case sees the same disturbances.
    /// </summary>
    private static void PrintInterleaved((string Name, Action Run)[] cases)
    {
        foreach (var c in cases) for (var w = 0; w < 5; w++) c.Run();
        var times = cases.Select(_ => new List<double>()).ToArray();
        for (var round = 0; round < 21; round++)
            for (var i = 0; i < cases.Length; i++)
            {
                var start = Now();
                for (var r = 0; r < 5; r++) cases[i].Run();
                times[i].Add((Now() - start) / 5);
            }
        for (var i = 0; i < cases.Length; i++)
            Console.WriteLine($"  {cases[i].Name,-62} {Median(times[i]),12:N0} µs");
    }

    private static double Time(int repeats, Action action)
    {
        for (var i = 0; i < Math.Max(3, repeats / 10); i++) action();
        var best = double.MaxValue;
        for (var round = 0; round < 5; round++)
        {
            var start = Now();
            for (var i = 0; i < repeats; i++) action();
            best = Math.Min(best, (Now() - start) / repeats);
        }
        return best; // best of 5 rounds: the least disturbed by other processes on a shared machine
    }

    // Wall time, or with `cpu` among the parts this thread's CPU time (CLOCK_THREAD_CPUTIME_ID): with 1 torch thread the
    // ops run on the calling thread, and CPU time is far less disturbed than wall time on a loaded machine.
    private static bool threadCpuTime;

    private static double Now()
    {
        if (!threadCpuTime) return Stopwatch.GetTimestamp() * 1e6 / Stopwatch.Frequency;
        clock_gettime(3, out var ts);
        return ts.Seconds * 1e6 + ts.Nanoseconds / 1e3;
    }

    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int clock_gettime(int clock, out Timespec time);

    private static void Row(string what, double micros) => Console.WriteLine($"  {what,-62} {micros,12:N2} µs");

    private static void TrainStepPhases()
    {
        Console.WriteLine("MLP 784-256-128-10 train step, batch 128 (best-of-5 mean per call):");
        using var g = new Generator(7);
        var x = torch.rand(128, 1, 28, 28, generator: g);
        var y = torch.randint(0, 10, [128], generator: g);
        var model = Hk.Transform<Tensor, Tensor>(HaikuModels.Mlp);
        var p = model.Init(0, x);
        var adam = Optimizers.Adam(1e-3);
        var opt = adam.Init(p);
        var valueAndGrad = Grad.ValueAndGrad(q => Losses.SoftmaxCrossEntropy(model.Apply(q, x), y));

        Row("MiniHaiku Apply (forward only, no grad)", Time(200, () =>
        {
            using var s = NewDisposeScope();
            using var ng = no_grad();
            model.Apply(p, x);
        }));
        Row("MiniHaiku Grad.ValueAndGrad (copy leaves, forward, autograd.grad)", Time(200, () =>
        {
            using var s = NewDisposeScope();
            valueAndGrad(p);
        }));
        Params grads;
        using (var s = NewDisposeScope())
        {
            grads = valueAndGrad(p).Grads;
            foreach (var t in grads.Values) t.MoveToOuterDisposeScope();
        }
        Row("MiniHaiku Adam Update (functional: new mu, nu, updates)", Time(200, () =>
        {
            using var s = NewDisposeScope();
            adam.Update(grads, opt, p);
        }));
        var scaleByAdam = Optimizers.ScaleByAdam();
        var adamState = scaleByAdam.Init(p);
        Row("  of which Optimizers.ScaleByAdam alone", Time(200, () =>
        {
            using var s = NewDisposeScope();
            scaleByAdam.Update(grads, adamState, p);
        }));
        var byLr = Optimizers.ScaleByLearningRate(1e-3);
        var lrState = byLr.Init(p);
        Row("  of which Optimizers.ScaleByLearningRate alone", Time(200, () =>
        {
            using var s = NewDisposeScope();
            byLr.Update(grads, lrState, p);
        }));
        Row("  grads.Map(g => g * 0.9) (one op per tensor through Params.Map)", Time(200, () =>
        {
            using var s = NewDisposeScope();
            grads.Map(g => g * 0.9);
        }));
        var gs = grads.Values.ToArray();
        var ms = gs.Select(t => torch.zeros_like(t)).ToArray();
        var vs = gs.Select(t => torch.zeros_like(t)).ToArray();
        Row("  the same Adam math as raw out-of-place tensor ops (no framework)", Time(200, () =>
        {
            using var s = NewDisposeScope();
            using var ng = no_grad();
            for (var k = 0; k < gs.Length; k++)
            {
                var m = ms[k] * 0.9 + gs[k] * 0.1;
                var v = vs[k] * 0.999 + gs[k].square() * 0.001;
                _ = m / 0.1 / (v.sqrt() / 0.03 + 1e-8) * -1e-3;
            }
        }));
        Row("  the same Adam math in place (addcmul_/addcdiv_, as torch.optim)", Time(200, () =>
        {
            using var s = NewDisposeScope();
            using var ng = no_grad();
            for (var k = 0; k < gs.Length; k++)
            {
                ms[k].mul_(0.9).add_(gs[k], alpha: 0.1);
                vs[k].mul_(0.999).addcmul_(gs[k], gs[k], value: 0.001);
                var denom = vs[k].sqrt().div_(0.03).add_(1e-8);
                ms[k].clone().addcdiv_(ms[k], denom, value: -1e-3);
            }
        }));
        Row("MiniHaiku ApplyUpdates (p + u, new tensors)", Time(200, () =>
        {
            using var s = NewDisposeScope();
            p.ApplyUpdates(grads);
        }));

        var torchMlp = new TorchModels.Mlp();
        var torchAdam = optim.Adam(torchMlp.parameters(), 1e-3);
        Row("TorchSharp forward (no grad)", Time(200, () =>
        {
            using var s = NewDisposeScope();
            using var ng = no_grad();
            torchMlp.forward(x);
        }));
        Row("TorchSharp zero_grad + forward + loss + backward", Time(200, () =>
        {
            using var s = NewDisposeScope();
            torchAdam.zero_grad();
            nn.functional.cross_entropy(torchMlp.forward(x), y).backward();
        }));
        Row("TorchSharp optim.Adam.step (in place)", Time(200, () =>
        {
            using var s = NewDisposeScope();
            torchAdam.step();
        }));
    }

    private static void InitParts()
    {
        Console.WriteLine("Init of the 10,006,000-parameter model (best-of-5 mean per call):");
        using var input = torch.zeros(1, 1000);
        var big = Hk.Transform<Tensor, Tensor>(HaikuModels.Big);
        Row("MiniHaiku Init (whole)", Time(3, () => big.Init(0, input).DisposeTensors()));
        long[][] shapes = [[1000, 2000], [2000, 2000], [2000, 2000]];
        var init = Initializers.TruncatedNormal(0.03);
        Row("  TruncatedNormal initializer alone, 3 weights (fresh tensors)", Time(3, () =>
        {
            using var s = NewDisposeScope();
            using var gen = new Generator(1);
            foreach (var shape in shapes) init(shape, ScalarType.Float32, gen);
        }));
        using var warm = torch.empty(2000, 2000);
        var fill = SamplerFill();
        Row("    of which: the managed sampler in warm memory (×2.5 of 4M)", 2.5 * Time(5, () => fill(warm, 0.03f)));
        Row("    of which: torch.empty + first touch (fill_ 0): page faults, 3 weights", Time(3, () => FirstTouch(shapes)));
        Row("  TruncatedNormal initializer alone, float64, 3 weights", Time(3, () =>
        {
            using var s = NewDisposeScope();
            using var gen = new Generator(1);
            foreach (var shape in shapes) init(shape, ScalarType.Float64, gen);
        }));
        Row("  normal_ alone, float64, 3 weights", Time(3, () =>
        {
            using var s = NewDisposeScope();
            using var gen = new Generator(1);
            foreach (var shape in shapes) torch.empty(shape, ScalarType.Float64).normal_(0, 1, gen);
        }));
        Row("  normal_ alone, 3 weights", Time(3, () =>
        {
            using var s = NewDisposeScope();
            using var gen = new Generator(1);
            foreach (var shape in shapes) torch.empty(shape).normal_(0, 1, gen);
        }));
        Row("  uniform_ alone, 3 weights", Time(3, () =>
        {
            using var s = NewDisposeScope();
            using var gen = new Generator(1);
            foreach (var shape in shapes) torch.empty(shape).uniform_(0, 1, gen);
        }));
        using var two = 2.0.ToScalar();
        using var minusTwo = (-2.0).ToScalar();
        Row("  previous TruncatedNormal: uniform_, out-of-place erfinv chain, copy_", Time(3, () =>
        {
            using var s = NewDisposeScope();
            using var gen = new Generator(1);
            using Scalar minusOne = (-1.0).ToScalar(), one = 1.0.ToScalar(), sqrt2 = Math.Sqrt(2).ToScalar(), k = 0.03.ToScalar();
            foreach (var shape in shapes)
            {
                var t = torch.empty(shape).uniform_(0.022750131948179195, 0.97724986805182079, gen);
                t.copy_(t.mul(two).add_(minusOne, one).erfinv_().mul_(sqrt2).clamp_(minusTwo, two)).mul_(k);
            }
        }));
        Row("  isfinite(all) scan of 3 weights (now for user/unbounded initializers only)", Time(3, () =>
        {
            using var s = NewDisposeScope();
            foreach (var shape in shapes) torch.isfinite(torch.ones(shape)).all().item<bool>();
        }) - Time(3, () =>
        {
            using var s = NewDisposeScope();
            foreach (var shape in shapes) torch.ones(shape);
        }));
        Row("  forward pass of Init on batch 1 (3 matmuls)", Time(3, () => InitForward(shapes)));
        Row("TorchSharp new module (kaiming_uniform_: one uniform pass)", Time(3, () =>
        {
            using var s = NewDisposeScope();
            using var m = new TorchModels.Big();
        }));
    }

    private delegate void FloatSamplerFill(Span<float> data, float stddev, float mean, ulong seed);

    // The library's internal managed truncated-normal sampler (MiniHaiku.Internal.TruncatedNormalSampler.Fill), reached by
    // reflection, filling a tensor's memory in place: the initializer's work without the allocation and its page faults.
    private static Action<Tensor, float> SamplerFill()
    {
        var method = typeof(Initializers).Assembly.GetType("MiniHaiku.Internal.TruncatedNormalSampler", throwOnError: true)!
            .GetMethod("Fill", [typeof(Span<float>), typeof(float), typeof(float), typeof(ulong)])!;
        var fill = method.CreateDelegate<FloatSamplerFill>();
        return (t, stddev) =>
        {
            fill(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(t.bytes), stddev, 0f, 12345);
            GC.KeepAlive(t);
        };
    }

    private static void FirstTouch(long[][] shapes)
    {
        using var s = NewDisposeScope();
        using var zero = 0.0.ToScalar();
        foreach (var shape in shapes) torch.empty(shape).fill_(zero);
    }

    private static void InitForward(long[][] shapes)
    {
        using var s = NewDisposeScope();
        using var ng = no_grad();
        foreach (var shape in shapes) torch.zeros(1, shape[0]).matmul(torch.zeros(shape));
    }

    // Init against its peers in interleaved rounds (each round runs every case once), medians of 21 rounds: on a
    // loaded machine the cases then see the same disturbances, which best-of-5 blocks of one case do not.
    private static void InitInterleaved()
    {
        Console.WriteLine("Init of the 10,006,000-parameter model, interleaved, median of 21 rounds:");
        using var input = torch.zeros(1, 1000);
        var big = Hk.Transform<Tensor, Tensor>(HaikuModels.Big);
        long[][] shapes = [[1000, 2000], [2000, 2000], [2000, 2000]];
        var init = Initializers.TruncatedNormal(0.03);
        using var warm = torch.empty(2000, 2000);
        var fill = SamplerFill();
        var uniform = Initializers.RandomUniform(-0.03, 0.03);
        (string Name, Action Run)[] cases =
        [
            ("MiniHaiku Init (whole)", () => big.Init(0, input).DisposeTensors()),
            ("TorchSharp new module (kaiming_uniform_)", () => { using var s = NewDisposeScope(); using var m = new TorchModels.Big(); }),
            ("TruncatedNormal initializer alone, 3 weights", () =>
            {
                using var s = NewDisposeScope();
                using var gen = new Generator(1);
                foreach (var shape in shapes) init(shape, ScalarType.Float32, gen);
            }),
            ("managed sampler, warm memory (10M values)", () =>
            {
                fill(warm, 0.03f);
                fill(warm, 0.03f);
                using var part = warm.narrow(0, 0, 1000);
                fill(part, 0.03f);
            }),
            ("torch.empty + fill_ 0 (page faults), 3 weights", () => FirstTouch(shapes)),
            ("RandomUniform initializer alone, 3 weights", () =>
            {
                using var s = NewDisposeScope();
                using var gen = new Generator(1);
                foreach (var shape in shapes) uniform(shape, ScalarType.Float32, gen);
            }),
            ("normal_ alone, 3 weights", () =>
            {
                using var s = NewDisposeScope();
                using var gen = new Generator(1);
                foreach (var shape in shapes) torch.empty(shape).normal_(0, 1, gen);
            }),
            ("uniform_ alone, 3 weights", () =>
            {
                using var s = NewDisposeScope();
                using var gen = new Generator(1);
                foreach (var shape in shapes) torch.empty(shape).uniform_(0, 1, gen);
            }),
            ("Init's forward pass alone (3 matmuls, batch 1)", () => InitForward(shapes)),
        ];
        foreach (var c in cases) c.Run();
        var times = cases.Select(_ => new List<double>()).ToArray();
        for (var round = 0; round < 21; round++)
            for (var k = 0; k < cases.Length; k++)
            {
                var start = Now();
                cases[k].Run();
                times[k].Add(Now() - start);
            }
        var torchMedian = Median(times[1]);
        for (var k = 0; k < cases.Length; k++)
            Console.WriteLine($"  {cases[k].Name,-50} {Median(times[k]),12:N0} µs  {Median(times[k]) / torchMedian,5:N2}× TorchSharp");
    }

    // The phases of one train step on both sides, interleaved (every case once per round), medians of 21 rounds.
    private static void StepPhases(string title, Func<Tensor, Model<Tensor>> haiku, Func<nn.Module<Tensor, Tensor>> torchModel,
        Func<Generator, (Tensor X, Tensor Y)> batchOf)
    {
        Console.WriteLine($"{title}: train-step phases, interleaved, median of 21 rounds:");
        using var g = new Generator(7);
        var batch = batchOf(g);
        var model = Hk.Transform(haiku);
        Tensor Loss(Tensor logits, Tensor y) => Losses.SoftmaxCrossEntropy(logits, y);
        var adam = Optimizers.Adam(1e-3);
        var trainer = MiniHaiku.Training.Trainer.ForModel(model, ((Tensor X, Tensor Y) b, bool _) => b.X, (logits, b) => Loss(logits, b.Y), adam);
        var p = model.Init(0, batch.X);
        var state = trainer.Init(model.Init(0, batch.X), seed: 0); // its own tensors: Step disposes superseded ones
        var fitState = trainer.Init(model.Init(0, batch.X), seed: 0);
        var opt = adam.Init(p);
        var valueAndGrad = Grad.ValueAndGrad(q => Loss(model.Apply(q, batch.X), batch.Y));
        Params grads;
        using (var s = NewDisposeScope())
        {
            grads = valueAndGrad(p).Grads;
            foreach (var t in grads.Values) t.MoveToOuterDisposeScope();
        }
        torch.manual_seed(0);
        var module = torchModel();
        var torchAdam = optim.Adam(module.parameters(), 1e-3);
        (string Name, Action Run)[] cases =
        [
            ("MiniHaiku Trainer.Step (whole, as the benchmark)", () => TrainStepBenchmarks.Step(trainer, ref state, batch)),
            ($"MiniHaiku Trainer.Fit, per step ({TrainStepBenchmarks.FitSteps} steps)", () => TrainStepBenchmarks.Fit(trainer, ref fitState, batch)),
            ("  Grad.ValueAndGrad (leaves, forward, backward)", () => { using var s = NewDisposeScope(); valueAndGrad(p); }),
            ("  Adam Update + ApplyUpdates", () => { using var s = NewDisposeScope(); p.ApplyUpdates(adam.Update(grads, opt, p).Updates); }),
            ("TorchSharp step (whole, as the benchmark)", () => TrainStepBenchmarks.TorchStep(module, torchAdam, batch)),
            ("  zero_grad, forward, backward", () =>
            {
                using var s = NewDisposeScope();
                torchAdam.zero_grad();
                var logits = module.forward(batch.X);
                (logits.dim() == 3 ? nn.functional.cross_entropy(logits.flatten(0, 1), batch.Y.flatten()) : nn.functional.cross_entropy(logits, batch.Y)).backward();
            }),
            ("  optim.Adam.step", () => { using var s = NewDisposeScope(); torchAdam.step(); }),
        ];
        foreach (var c in cases) for (var w = 0; w < 5; w++) c.Run();
        var times = cases.Select(_ => new List<double>()).ToArray();
        for (var round = 0; round < 21; round++)
            for (var k = 0; k < cases.Length; k++)
            {
                var start = Now();
                cases[k].Run();
                times[k].Add((Now() - start) / (k == 1 ? TrainStepBenchmarks.FitSteps : 1));
            }
        for (var k = 0; k < cases.Length; k++)
            Console.WriteLine($"  {cases[k].Name,-50} {Median(times[k]),12:N0} µs");
    }

    /// <summary>
    /// The MLP 784-256-128-10 at batch 128 as raw torch op sequences (no MiniHaiku machinery), forward + loss + backward on
    /// leaf parameters, interleaved, medians of 21 rounds: the weight layout ([in, out] with <c>addmm(b, x, w)</c> as
    /// MiniHaiku's Linear, or torch's [out, in] with <c>linear</c>), the loss (log_softmax + gather + neg + mean as
    /// <c>Losses.SoftmaxCrossEntropy</c>, or fused <c>cross_entropy</c>), and how gradients reach the caller (fresh via
    /// <c>autograd.grad</c>, stolen into an empty <c>.grad</c>, or accumulated into zeroed <c>.grad</c> views of one buffer).
    /// </summary>
    private static void MlpRawOps()
    {
        Console.WriteLine("MLP 784-256-128-10, batch 128: raw op sequences (forward, loss, backward), interleaved, median of 21 rounds:");
        using var g = new Generator(7);
        var x = torch.rand(128, 1, 28, 28, generator: g).flatten(1);
        var y = torch.randint(0, 10, [128], generator: g);
        int[] sizes = [784, 256, 128, 10];
        // MiniHaiku layout: w [in, out]; torch layout: W [out, in] (the same values transposed).
        var w = new Tensor[3];
        var wt = new Tensor[3];
        var b = new Tensor[3];
        var bt = new Tensor[3];
        for (var i = 0; i < 3; i++)
        {
            w[i] = (torch.randn([sizes[i], sizes[i + 1]], generator: g) / Math.Sqrt(sizes[i])).requires_grad_();
            wt[i] = w[i].detach().t().contiguous().requires_grad_();
            b[i] = torch.zeros(sizes[i + 1]).requires_grad_();
            bt[i] = torch.zeros(sizes[i + 1]).requires_grad_();
        }
        Tensor[] haikuLeaves = [.. w, .. b], torchLeaves = [.. wt, .. bt];
        Tensor ForwardAddmm(Tensor[] ws)
        {
            var h = x;
            for (var i = 0; i < 3; i++)
            {
                h = torch.addmm(b[i], h, ws[i], beta: 1, alpha: 1);
                if (i < 2) h = h.relu();
            }
            return h;
        }
        Tensor ForwardLinearT(Tensor[] ws)
        {
            var h = x;
            for (var i = 0; i < 3; i++)
            {
                h = nn.functional.linear(h, ws[i].t(), b[i]);
                if (i < 2) h = h.relu();
            }
            return h;
        }
        Tensor ForwardTorch()
        {
            var h = x;
            for (var i = 0; i < 3; i++)
            {
                h = nn.functional.linear(h, wt[i], bt[i]);
                if (i < 2) h = h.relu();
            }
            return h;
        }
        Tensor Composed(Tensor logits) => -logits.log_softmax(-1).gather(-1, y.unsqueeze(-1)).squeeze(-1).mean();
        Tensor Fused(Tensor logits) => nn.functional.cross_entropy(logits, y);
        void Steal(Tensor[] leaves, Tensor loss)
        {
            foreach (var l in leaves) l.grad = null;
            loss.backward();
        }
        // One flat gradient buffer whose views are the leaves' grad (Fit's FlatSession): zero_(), then backward accumulates.
        Tensor Flat(Tensor[] leaves)
        {
            var flat = torch.zeros(leaves.Sum(l => l.numel()));
            long offset = 0;
            foreach (var l in leaves)
            {
                l.grad = flat.narrow(0, offset, l.numel()).view(l.shape);
                offset += l.numel();
            }
            return flat;
        }
        var flatHaiku = Flat(haikuLeaves);
        var haikuGrads = haikuLeaves.Select(l => l.grad!).ToArray();
        void Accumulate(Tensor flat, Tensor[] leaves, Tensor[] grads, Tensor loss)
        {
            for (var i = 0; i < leaves.Length; i++) leaves[i].grad = grads[i];
            flat.zero_();
            torch.autograd.backward([loss], inputs: leaves);
        }
        var logitsLeaf = torch.randn([128, 10], generator: g).requires_grad_();
        var images = x.view(128, 1, 28, 28);
        var model = Hk.Transform<Tensor, Tensor>(HaikuModels.Mlp);
        var p = model.Init(0, images);
        var modelLeaves = p.Map(t => t.detach().requires_grad_());
        var valueAndGrad = Grad.ValueAndGrad(q => Losses.SoftmaxCrossEntropy(model.Apply(q, images), y));
        (string Name, Action Run)[] cases =
        [
            ("MiniHaiku Apply + Losses.SoftmaxCrossEntropy, backward (leaves, stolen)", () =>
            {
                using var s = NewDisposeScope();
                Steal([.. modelLeaves.Values], Losses.SoftmaxCrossEntropy(model.Apply(modelLeaves, images), y));
            }),
            ("MiniHaiku Grad.ValueAndGrad (fresh leaves, autograd.grad)", () =>
            {
                using var s = NewDisposeScope();
                valueAndGrad(p);
            }),
            ("  MiniHaiku Apply on leaves, with grad, no backward", () =>
            {
                using var s = NewDisposeScope();
                model.Apply(modelLeaves, images);
            }),
            ("  MiniHaiku Apply + Losses.SoftmaxCrossEntropy on leaves, no backward", () =>
            {
                using var s = NewDisposeScope();
                Losses.SoftmaxCrossEntropy(model.Apply(modelLeaves, images), y);
            }),
            ("  raw addmm forward on leaves, with grad, no backward", () =>
            {
                using var s = NewDisposeScope();
                ForwardAddmm(w);
            }),
            ("  raw addmm forward + cross_entropy, with grad, no backward", () =>
            {
                using var s = NewDisposeScope();
                Fused(ForwardAddmm(w));
            }),
            ("  Losses.SoftmaxCrossEntropy on [128, 10] leaf logits, forward + backward", () =>
            {
                using var s = NewDisposeScope();
                logitsLeaf.grad = null;
                Losses.SoftmaxCrossEntropy(logitsLeaf, y).backward();
            }),
            ("  MiniHaiku Apply, no grad", () =>
            {
                using var s = NewDisposeScope();
                using var ng = no_grad();
                model.Apply(p, images);
            }),
            ("torch layout: linear(x, W[out,in], b), cross_entropy, backward (grads stolen)", () =>
            {
                using var s = NewDisposeScope();
                Steal(torchLeaves, Fused(ForwardTorch()));
            }),
            ("MiniHaiku layout: addmm(b, x, w[in,out]), cross_entropy, backward (stolen)", () =>
            {
                using var s = NewDisposeScope();
                Steal(haikuLeaves, Fused(ForwardAddmm(w)));
            }),
            ("MiniHaiku layout: linear(x, w.t(), b), cross_entropy, backward (stolen)", () =>
            {
                using var s = NewDisposeScope();
                Steal(haikuLeaves, Fused(ForwardLinearT(w)));
            }),
            ("addmm, log_softmax+gather+neg+mean, backward (stolen)", () =>
            {
                using var s = NewDisposeScope();
                Steal(haikuLeaves, Composed(ForwardAddmm(w)));
            }),
            ("addmm, cross_entropy, autograd.grad (fresh gradients)", () =>
            {
                using var s = NewDisposeScope();
                foreach (var l in haikuLeaves) l.grad = null;
                torch.autograd.grad([Fused(ForwardAddmm(w))], haikuLeaves);
            }),
            ("addmm, cross_entropy, backward into zeroed flat .grad views", () =>
            {
                using var s = NewDisposeScope();
                Accumulate(flatHaiku, haikuLeaves, haikuGrads, Fused(ForwardAddmm(w)));
            }),
            ("addmm, log_softmax+gather+neg+mean, backward into flat views", () =>
            {
                using var s = NewDisposeScope();
                Accumulate(flatHaiku, haikuLeaves, haikuGrads, Composed(ForwardAddmm(w)));
            }),
            ("  zero_() of the 235,146-value flat gradient", () => flatHaiku.zero_()),
            ("  cross_entropy on [128, 10] logits, forward + backward", () =>
            {
                using var s = NewDisposeScope();
                logitsLeaf.grad = null;
                Fused(logitsLeaf).backward();
            }),
            ("  log_softmax+gather+neg+mean on [128, 10], forward + backward", () =>
            {
                using var s = NewDisposeScope();
                logitsLeaf.grad = null;
                Composed(logitsLeaf).backward();
            }),
            ("  labels min().item() + max().item() (CheckLabels before)", () =>
            {
                using var s = NewDisposeScope();
                _ = y.min().item<long>() + y.max().item<long>();
            }),
            ("  labels aminmax + 2 item() (CheckLabels now)", () =>
            {
                using var s = NewDisposeScope();
                var (lo, hi) = torch.aminmax(y);
                _ = lo.item<long>() + hi.item<long>();
            }),
            ("  forward only, addmm (no grad)", () =>
            {
                using var s = NewDisposeScope();
                using var ng = no_grad();
                ForwardAddmm(w);
            }),
            ("  forward only, torch layout linear (no grad)", () =>
            {
                using var s = NewDisposeScope();
                using var ng = no_grad();
                ForwardTorch();
            }),
        ];
        foreach (var c in cases) for (var r = 0; r < 5; r++) c.Run();
        var times = cases.Select(_ => new List<double>()).ToArray();
        for (var round = 0; round < 21; round++)
            for (var k = 0; k < cases.Length; k++)
            {
                var start = Now();
                for (var r = 0; r < 3; r++) cases[k].Run();
                times[k].Add((Now() - start) / 3);
            }
        for (var k = 0; k < cases.Length; k++)
            Console.WriteLine($"  {cases[k].Name,-80} {Median(times[k]),10:N0} µs");
    }

    private static double Median(List<double> xs)
    {
        var sorted = xs.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private static void GetParamPieces()
    {
        Console.WriteLine("One GetParam during Apply of the 200-parameter model (best-of-5 mean per call):");
        using var x = torch.zeros(1, 32);
        var model = Hk.Transform<Tensor, Tensor>(HaikuModels.TwoHundredParams);
        var p = model.Init(0, x);
        Row("Apply of the 200-parameter model / 200", Time(2000, () => model.Apply(p, x)) / 200);
        var empty = Hk.Transform<Tensor, Tensor>(t => Hk.Pure(t));
        Row("Apply of an empty model (fixed cost of Apply)", Time(20000, () => empty.Apply(Params.Empty, x)));

        var keys = p.Keys.ToArray();
        var sorted = p.ToImmutableSortedDictionary(StringComparer.Ordinal);
        var i = 0;
        Row("  ImmutableSortedDictionary lookup among 200 paths", Time(200000, () => sorted.TryGetValue(keys[i++ % keys.Length], out _)));
        var scope = "~/param_bag_13/__call__";
        var names = Enumerable.Range(0, 10).Select(n => "p" + n).ToArray();
        Row("  path string concat (scope + '/' + name)", Time(200000, () => _ = scope + "/" + names[i++ % 10]));
        var set = ImmutableHashSet.Create<string>(StringComparer.Ordinal).Union(keys.Take(100));
        Row("  ImmutableHashSet.Add (~100 entries; how reads were recorded before the run's read log)", Time(200000, () => set.Add(keys[i++ % keys.Length])));
        using var t = torch.zeros(1);
        Row("  tensor.shape (one interop call, avoided by the Params shape cache)", Time(200000, () => _ = t.shape));
    }
}
