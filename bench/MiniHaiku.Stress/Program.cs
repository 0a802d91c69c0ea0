using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using MiniHaiku;
using MiniHaiku.Layers;
using TorchSharp;
using static TorchSharp.torch;

// Stress test of the library's thread safety under GC pressure (issue 9): many threads call Apply and
// Grad.ValueAndGrad of one Conv2D + BatchNorm + Linear model at once while another thread forces garbage
// collections, so any TorchSharp Scalar temporary left in the library's arithmetic gets finalized mid-call.
// Every result is compared with a single-threaded reference; an exception or a wrong value is a failure.
//
// Usage: dotnet run -c Release --project bench/MiniHaiku.Stress -- [calls=1000000] [threads=16] [--control]
//   --control: the same run with a model whose bias add is TorchSharp's plain `a + b` (a hidden Scalar), to
//   show that the harness does catch the hazard (expect failures there, and only there).
var positional = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
var control = args.Contains("--control");
var total = positional.Length > 0 ? long.Parse(positional[0], CultureInfo.InvariantCulture) : 1_000_000;
var threads = positional.Length > 1 ? int.Parse(positional[1], CultureInfo.InvariantCulture) : 16;
torch.set_num_threads(1);

const int batch = 4, size = 8, channels = 3, classes = 10;
var model = Hk.TransformWithState(((Tensor X, bool Training) input) =>
    from conv in Conv2D.Create(8, 3, name: "conv")
    from h in conv.Call(input.X)
    from bn in BatchNorm.Create(name: "bn")
    from n in bn.Call(h, input.Training)
    let flat = Activations.Relu(n).reshape(n.shape[0], -1)
    from logits in control ? UnsafeLinear(flat) : Linear.Create(classes, name: "out").Call(flat)
    select logits);

using var g = new torch.Generator(3);
var x = torch.randn([batch, size, size, channels], generator: g);
var labels = torch.randint(0, classes, [batch], generator: g);
var (parameters, state) = model.Init(0, (x, true));

Tensor Loss(Params p) => Losses.SoftmaxCrossEntropy(model.Apply(p, state, (x, true)).Output, labels);
var valueAndGrad = Grad.ValueAndGrad(Loss);

// Single-threaded references.
var referenceOutput = model.Apply(parameters, state, (x, false)).Output;
var (referenceLoss, referenceGrads) = valueAndGrad(parameters);

long next = -1, applies = 0, grads = 0, failures = 0, wrong = 0, collections = 0;
var errors = new ConcurrentDictionary<string, long>();
var running = true;

var gcThread = new Thread(() =>
{
    while (Volatile.Read(ref running))
    {
        // Gen-0 collections (where the short-lived Scalar temporaries live); their finalizers run on the
        // finalizer thread while the workers go on, which is exactly the hazard.
        GC.Collect(0, GCCollectionMode.Forced, blocking: true);
        Interlocked.Increment(ref collections);
        Thread.Sleep(1);
    }
}) { IsBackground = true, Name = "gc" };

void Work()
{
    long i;
    while ((i = Interlocked.Increment(ref next)) < total)
    {
        try
        {
            using var scope = torch.NewDisposeScope();
            // One call in four is a ValueAndGrad (it costs about three Applies).
            if (i % 4 == 3)
            {
                var (value, gs) = valueAndGrad(parameters);
                var ok = value.allclose(referenceLoss, 1e-5, 1e-6) &&
                         gs.All(kv => kv.Value.allclose(referenceGrads[kv.Key], 1e-4, 1e-6));
                if (!ok) Interlocked.Increment(ref wrong);
                Interlocked.Increment(ref grads);
            }
            else
            {
                var y = model.Apply(parameters, state, (x, false)).Output;
                if (!y.allclose(referenceOutput, 1e-5, 1e-6)) Interlocked.Increment(ref wrong);
                Interlocked.Increment(ref applies);
            }
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref failures);
            errors.AddOrUpdate($"{e.GetType().Name}: {e.Message.Split('\n')[0]}", 1, (_, n) => n + 1);
        }
    }
}

Console.WriteLine($"MiniHaiku stress: {total:N0} calls (3/4 Apply, 1/4 ValueAndGrad) of Conv2D(8, 3x3) + BatchNorm + Linear({classes}) " +
                  $"on [{batch}, {size}, {size}, {channels}], {threads} threads + 1 GC thread, torch threads 1{(control ? ", CONTROL model with a raw `a + b` bias add" : "")}");
var live0 = torch.Tensor.TotalCount;
var watch = Stopwatch.StartNew();
gcThread.Start();
var workers = Enumerable.Range(0, threads).Select(k => new Thread(Work) { Name = "worker " + k }).ToList();
workers.ForEach(t => t.Start());
var reporter = new Timer(_ => Console.WriteLine(
    $"  {watch.Elapsed.TotalSeconds,7:F0} s  {Interlocked.Read(ref applies) + Interlocked.Read(ref grads),12:N0} calls  {Interlocked.Read(ref failures)} failures  {Interlocked.Read(ref wrong)} wrong"),
    null, 60_000, 60_000);
workers.ForEach(t => t.Join());
Volatile.Write(ref running, false);
gcThread.Join();
watch.Stop();
reporter.Dispose();
GC.Collect();
GC.WaitForPendingFinalizers();

var calls = applies + grads;
Console.WriteLine($"calls:        {calls:N0} ({applies:N0} Apply, {grads:N0} ValueAndGrad)");
Console.WriteLine($"failures:     {failures:N0} (exceptions)");
Console.WriteLine($"wrong values: {wrong:N0} (results differing from the single-threaded reference)");
Console.WriteLine($"collections:  {collections:N0} forced by the GC thread");
Console.WriteLine($"time:         {watch.Elapsed.TotalSeconds:F1} s ({calls / watch.Elapsed.TotalSeconds:N0} calls/s)");
Console.WriteLine($"live tensors: {live0:N0} before, {torch.Tensor.TotalCount:N0} after");
foreach (var (message, count) in errors.OrderByDescending(kv => kv.Value).Take(10))
    Console.WriteLine($"  {count,8:N0} × {message}");
return failures == 0 && wrong == 0 ? 0 : 1;

// The control: a dense layer whose bias add is TorchSharp's `a + b` (alpha = a temporary Scalar 1).
static Model<Tensor> UnsafeLinear(Tensor x) =>
    from w in Hk.GetParam("w", [x.shape[^1], classes], Initializers.TruncatedNormal(0.1), x.dtype)
    from b in Hk.GetParam("b", [classes], Initializers.Zeros(), x.dtype)
    select x.matmul(w) + b;
