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
    /// Runs the breakdowns named in <paramref name="parts"/> (train, adam, cnn, tiny, init, initab, mlp, mlpops, deep, transformer, layers, getparam; all if none) and prints
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
        Console.WriteLine("Apply of the 2-layer 32-wide MLP at batch 1, no grad (best-of-5 mean per call):");
        using var ng = no_grad();
        using var x = torch.rand(1, 32);
        var tiny = Hk.Transform<Tensor, Tensor>(HaikuModels.Tiny);
        var p = tiny.Init(0, x);
        var torchTiny = new TorchModels.Tiny();
        Row("MiniHaiku Apply (whole)", Time(20000, () => tiny.Apply(p, x).Dispose()));
        Row("TorchSharp module forward (whole: linear, relu, linear)", Time(20000, () => torchTiny.forward(x).Dispose()));
        var w1 = p.Values.First(t => t.shape.Length == 2);
        var b1 = p.Values.First(t => t.shape.Length == 1);
        Row("  the 9 tensor calls MiniHaiku's Linear makes, alone", Time(20000, () =>
        {
            // Linear.Call per layer: x.shape, x.dtype, matmul, add_; relu between.
            _ = x.shape; _ = x.dtype;
            using var h = x.matmul(w1).add_(b1);
            using var a = h.relu();
            _ = a.shape; _ = a.dtype;
            a.matmul(w1).add_(b1).Dispose();
        }));
        Row("  the 3 tensor calls of TorchSharp (functional.linear, relu, linear)", Time(20000, () =>
        {
            using var h = nn.functional.linear(x, w1.t(), b1);
            using var a = h.relu();
            nn.functional.linear(a, w1.t(), b1).Dispose();
        }));
        Row("  x.shape alone (interop)", Time(20000, () => _ = x.shape));
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
        Row("  TruncatedNormal initializer alone, 3 weights", Time(3, () =>
        {
            using var s = NewDisposeScope();
            using var gen = new Generator(1);
            foreach (var shape in shapes) init(shape, ScalarType.Float32, gen);
        }));
        Row("    of which: normal_ draw alone, 3 weights", Time(3, () =>
        {
            using var s = NewDisposeScope();
            using var gen = new Generator(1);
            foreach (var shape in shapes) torch.empty(shape).normal_(0, 1, gen);
        }));
        using var drawn = torch.empty(2000, 2000).normal_(0, 1, new Generator(1));
        using var two = 2.0.ToScalar();
        using var minusTwo = (-2.0).ToScalar();
        Row("    finding |z| > 2: abs, gt, nonzero (per 4M weight, ×2.5)", 2.5 * Time(5, () =>
        {
            using var s = NewDisposeScope();
            drawn.view(-1).abs().gt(two).nonzero();
        }));
        using var absolute = drawn.abs();
        using var outside = absolute.gt(two);
        Row("      abs alone (×2.5)", 2.5 * Time(5, () => drawn.abs().Dispose()));
        Row("      gt alone (×2.5)", 2.5 * Time(5, () => absolute.gt(two).Dispose()));
        Row("      nonzero alone (×2.5)", 2.5 * Time(5, () => outside.nonzero().Dispose()));
        Row("      (alternative to nonzero: sum + masked_scatter_, ×2.5)", 2.5 * Time(5, () =>
        {
            using var s = NewDisposeScope();
            var n = outside.sum().item<long>();
            drawn.masked_scatter_(outside, torch.zeros(n));
        }));
        Row("    (alternative: lt, gt, logical_or_, nonzero, ×2.5)", 2.5 * Time(5, () =>
        {
            using var s = NewDisposeScope();
            var flat = drawn.view(-1);
            flat.lt(minusTwo).logical_or_(flat.gt(two)).nonzero();
        }));
        Row("    managed pass: scale only (Vector<float>, ×2.5)", 2.5 * Time(5, () => ManagedPass(drawn, record: false)));
        Row("    managed pass: scale + record |z| > 2 (×2.5)", 2.5 * Time(5, () => ManagedPass(drawn, record: true)));
        Row("    t.bytes alone (×2.5)", 2.5 * Time(5, () => _ = drawn.bytes.Length));
        Row("    scaling by the stddev (mul_, ×2.5)", 2.5 * Time(5, () => drawn.mul_(two).div_(two)) / 2);
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
        Row("    of which: uniform_ draw alone, 3 weights", Time(3, () =>
        {
            using var s = NewDisposeScope();
            using var gen = new Generator(1);
            foreach (var shape in shapes) torch.empty(shape).uniform_(0, 1, gen);
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
        Row("  forward pass of Init on batch 1 (3 matmuls)", Time(3, () =>
        {
            using var s = NewDisposeScope();
            using var ng = no_grad();
            foreach (var shape in shapes) torch.zeros(1, shape[0]).matmul(torch.zeros(shape));
        }));
        Row("TorchSharp new module (kaiming_uniform_: one uniform pass)", Time(3, () =>
        {
            using var s = NewDisposeScope();
            using var m = new TorchModels.Big();
        }));
    }

    // The fused truncated normal's managed pass (Initializers.ScaleAndReplaceOutside) without the replacement draws;
    // it scales by 1 so the drawn tensor keeps its values.
    private static void ManagedPass(Tensor t, bool record)
    {
        var data = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(t.bytes);
        var outside = new int[data.Length / 8];
        var count = 0;
        System.Numerics.Vector<float> scale = new(1f), shift = new(0f), cut = new(2f);
        int i = 0, width = System.Numerics.Vector<float>.Count;
        for (; i <= data.Length - width; i += width)
        {
            var slice = data.Slice(i, width);
            var v = new System.Numerics.Vector<float>(slice);
            if (record && System.Numerics.Vector.GreaterThanAny(System.Numerics.Vector.Abs(v), cut))
                for (var j = 0; j < width; j++)
                    if (Math.Abs(slice[j]) > 2f) outside[count++] = i + j;
            (v * scale + shift).CopyTo(slice);
        }
        GC.KeepAlive(t);
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
            ("normal_ alone, 3 weights", () =>
            {
                using var s = NewDisposeScope();
                using var gen = new Generator(1);
                foreach (var shape in shapes) torch.empty(shape).normal_(0, 1, gen);
            }),
            ("normal_ + managed scale/record pass, 3 weights", () =>
            {
                using var s = NewDisposeScope();
                using var gen = new Generator(1);
                foreach (var shape in shapes) ManagedPass(torch.empty(shape).normal_(0, 1, gen), record: true);
            }),
            ("normal_ + managed scale pass (no record), 3 weights", () =>
            {
                using var s = NewDisposeScope();
                using var gen = new Generator(1);
                foreach (var shape in shapes) ManagedPass(torch.empty(shape).normal_(0, 1, gen), record: false);
            }),
            ("normal_ + torch mul_, 3 weights", () =>
            {
                using var s = NewDisposeScope();
                using var gen = new Generator(1);
                using var k = 0.03.ToScalar();
                foreach (var shape in shapes) torch.empty(shape).normal_(0, 1, gen).mul_(k);
            }),
            ("inverse-CDF draw of the 4.55 % replacements (455k)", () =>
            {
                using var s = NewDisposeScope();
                using var gen = new Generator(1);
                using Scalar two = 2.0.ToScalar(), minusOne = (-1.0).ToScalar(), one = 1.0.ToScalar(), sqrt2 = Math.Sqrt(2).ToScalar();
                torch.empty(455_000).uniform_(0.0227, 0.9772, gen).mul_(two).add_(minusOne, one).erfinv_().mul_(sqrt2);
            }),
            ("uniform_ alone, 3 weights", () =>
            {
                using var s = NewDisposeScope();
                using var gen = new Generator(1);
                foreach (var shape in shapes) torch.empty(shape).uniform_(0, 1, gen);
            }),
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
