using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// SM3's rescaling (<c>optax.scale_by_sm3</c>): one accumulator per tensor axis (slot <c>mu{axis}</c>,
    /// length of that axis); the element accumulator is <c>(1-b2) g² + b2 · min over axes</c> (for
    /// tensors of rank ≤ 1 the accumulator itself; with <c>b2 = 1</c> the <c>(1-b2)</c> factor is 1),
    /// the direction <c>g / sqrt(acc + eps)</c> (0 where <c>acc</c> is 0), the update its momentum
    /// <c>ν = b1 ν + (1-b1) · direction</c>; each axis accumulator keeps the maximum over the other axes.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.ScaleBySm3(), Optimizers.ScaleByLearningRate(0.1));</code></example>
    /// <param name="b1">The momentum decay.</param>
    /// <param name="b2">The decay of the accumulators (1: a running sum, as in the paper).</param>
    /// <param name="eps">Added inside the square root.</param>
    /// <returns>The transformation, with slots <c>nu</c> and <c>mu0</c>, <c>mu1</c>, … .</returns>
    public static GradientTransformation ScaleBySm3(double b1 = 0.9, double b2 = 1.0, double eps = 1e-8) =>
        new(p =>
        {
            var maxRank = p.Values.Select(t => Math.Max(1, t.dim())).DefaultIfEmpty(1).Max();
            var slots = new List<(string, Params)> { ("nu", p.ZerosLike()) };
            for (var axis = 0; axis < maxRank; axis++)
            {
                var a = axis;
                slots.Add(($"mu{a}", Params.Create(p.Where(path => a < Math.Max(1, p[path].dim()))
                    .Select(kv => new KeyValuePair<string, Tensor>(kv.Key, kv.Value.dim() == 0 ? torch.zeros([], kv.Value.dtype) : torch.zeros([kv.Value.shape[a]], kv.Value.dtype))))));
            }
            return OptState.WithSlots([.. slots]);
        }, (grads, s, _) =>
        {
            var axisSlots = s.Slots.Keys.Where(k => k.StartsWith("mu", StringComparison.Ordinal)).ToDictionary(k => k, k => new List<KeyValuePair<string, Tensor>>(), StringComparer.Ordinal);
            var nuOld = s.Slot("nu");
            var updates = new List<KeyValuePair<string, Tensor>>();
            foreach (var (path, g) in grads)
            {
                var rank = (int)g.dim();
                Tensor accumulator;
                using var square = g.Squared();
                var gCoefficient = b2 != 1.0 ? 1.0 - b2 : 1.0;
                if (rank < 2)
                {
                    var v = SlotEntry(s.Slot("mu0"), "mu0", path);
                    accumulator = square.Times(gCoefficient).PlusScaledInPlace(v, b2);
                }
                else
                {
                    Tensor? minimum = null;
                    for (var axis = 0; axis < rank; axis++)
                    {
                        var shape = Enumerable.Repeat(1L, rank).ToArray();
                        shape[axis] = g.shape[axis];
                        var v = SlotEntry(s.Slot($"mu{axis}"), $"mu{axis}", path).reshape(shape);
                        minimum = minimum is null ? v : torch.minimum(minimum, v);
                    }
                    accumulator = square.Times(gCoefficient).PlusScaledInPlace(minimum!.expand(g.shape), b2);
                }
                using var positive = accumulator.GreaterThan(0);
                using var root = accumulator.Plus(eps).rsqrt_();
                using var zero = torch.zeros_like(root);
                using var inverse = torch.where(positive, root, zero);
                using var direction = g.mul(inverse);
                var nu = Ema(SlotEntry(nuOld, "nu", path), direction, b1);
                updates.Add(new(path, nu));
                if (rank < 2) axisSlots["mu0"].Add(new(path, accumulator));
                else
                    for (var axis = 0; axis < rank; axis++)
                    {
                        var others = Enumerable.Range(0, rank).Where(a => a != axis).Select(a => (long)a).ToArray();
                        axisSlots[$"mu{axis}"].Add(new(path, accumulator.amax(others)));
                    }
            }
            var nuParams = Params.Create(updates);
            var slots = s.Slots.SetItem("nu", nuParams);
            foreach (var (name, entries) in axisSlots) slots = slots.SetItem(name, Params.Create(entries));
            return (nuParams, s with { Slots = slots });
        });

    /// <summary>SM3 (<c>optax.sm3</c>): memory-efficient adaptive steps with momentum, <c>p -= lr · ScaleBySm3(momentum)</c>.</summary>
    /// <example><code>var opt = Optimizers.Sm3(0.1);</code></example>
    /// <param name="learningRate">The learning rate (a constant, as in Optax).</param>
    /// <param name="momentum">The momentum decay (<see cref="ScaleBySm3"/>'s <c>b1</c>).</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation Sm3(double learningRate, double momentum = 0.9) =>
        Chain(ScaleBySm3(momentum), ScaleByLearningRate(learningRate));
}
