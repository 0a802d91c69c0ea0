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
    /// <summary>Runs the breakdowns named in <paramref name="parts"/> (train, tiny, init, getparam; all if none) and prints them.</summary>
    /// <param name="parts">The command-line arguments after --profile.</param>
    public static void Run(IReadOnlyCollection<string> parts)
    {
        BenchSettings.Apply();
        Console.WriteLine($"threads: {torch.get_num_threads()}");
        bool Wants(string part) => parts.Count == 0 || parts.Contains(part);
        if (Wants("train")) TrainStepPhases();
        if (Wants("adam")) AdamPieces();
        if (Wants("cnn")) CnnPhases();
        if (Wants("tiny")) TinyApplyPieces();
        if (Wants("init")) InitParts();
        if (Wants("getparam")) GetParamPieces();
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
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < repeats; i++) action();
            best = Math.Min(best, sw.Elapsed.TotalMicroseconds / repeats);
        }
        return best; // best of 5 rounds: the least disturbed by other processes on a shared machine
    }

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
        Row("  of which: uniform_ draw alone, 3 weights", Time(3, () =>
        {
            using var s = NewDisposeScope();
            using var gen = new Generator(1);
            foreach (var shape in shapes) torch.empty(shape).uniform_(0, 1, gen);
        }));
        Row("  isfinite(all) check of 3 weights (Hk.CreateInitial)", Time(3, () =>
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
