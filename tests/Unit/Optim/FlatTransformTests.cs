using MiniHaiku.Layers;
using MiniHaiku.Optim;
using MiniHaiku.Training;

namespace MiniHaiku.Tests.Optim;

/// <summary>
/// The flat form of the elementwise optimizers (one buffer per model) computes what the per-tensor form does, through
/// the trainer's public path: the same maths, rounded in another order where the flat form fuses kernels (Adam's quotient
/// and the learning rate in one <c>addcdiv_</c>, weight decay folded into the parameters' scale, the global norm as one
/// float64 sum), so the two agree to <see cref="Tolerance"/> over several steps rather than bit for bit.
/// </summary>
public class FlatTransformTests
{
    // Several shapes, a 0-d parameter among them, float32: the layout of a real model in miniature.
    internal static readonly Transformed<Tensor, Tensor> Model = Hk.Transform((Tensor x) =>
        from h in Linear.Create(5).Call(x)
        from y in Linear.Create(3).Call(Activations.Relu(h))
        from scale in Hk.GetParam("scale", [], Initializers.Constant(1.5))
        select y * scale);

    internal static List<(Tensor X, Tensor Y)> Batches(int count)
    {
        using var g = new torch.Generator(11);
        return Enumerable.Range(0, count).Select(_ => (torch.randn([8, 4], generator: g), torch.randn([8, 3], generator: g))).ToList();
    }

    internal static Trainer<(Tensor X, Tensor Y)> TrainerFor(GradientTransformation opt) =>
        Trainer.ForModel(Model, ((Tensor X, Tensor Y) b, bool _) => b.X, (Tensor y, (Tensor X, Tensor Y) b) => (y - b.Y).square().mean(), opt);

    /// <summary>The same optimizer without its flat form (a copy with a replaced function has none): the per-tensor path.</summary>
    internal static GradientTransformation PerTensor(GradientTransformation opt) => opt with { InitFunction = p => opt.InitFunction(p) };

    public static TheoryData<string> Elementwise => new(ElementwiseOptimizers.Keys);

    private static readonly Dictionary<string, Func<GradientTransformation>> ElementwiseOptimizers = new()
    {
        ["Adam"] = () => Optimizers.Adam(0.01),
        ["Adam scheduled"] = () => Optimizers.Adam(Schedule.ExponentialDecay(0.01, 2, 0.5)),
        ["Adam epsRoot"] = () => Optimizers.Adam(0.01, epsRoot: 1e-8),
        ["Adam b1 0.3 (lerp weight above one half)"] = () => Optimizers.Adam(0.01, b1: 0.3),
        // Adam after a link whose output it does not own: the fused pass must not write its denominator into Trace's slot.
        ["Trace then Adam"] = () => Optimizers.Chain(Optimizers.Trace(0.5), Optimizers.ScaleByAdam(), Optimizers.ScaleByLearningRate(0.01)),
        ["NAdam"] = () => Optimizers.NAdam(0.01),
        ["AdamW"] = () => Optimizers.AdamW(0.01, weightDecay: 0.1),
        ["AdamW masked"] = () => Optimizers.AdamW(0.01, weightDecay: 0.1, mask: path => path.EndsWith("/w", StringComparison.Ordinal)),
        ["NAdamW"] = () => Optimizers.NAdamW(0.01, weightDecay: 0.1),
        ["Sgd"] = () => Optimizers.Sgd(0.1),
        ["Sgd momentum"] = () => Optimizers.Sgd(0.1, momentum: 0.9),
        ["Sgd Nesterov"] = () => Optimizers.Sgd(0.1, momentum: 0.9, nesterov: true),
        ["RmsProp"] = () => Optimizers.RmsProp(0.01),
        ["RmsProp centered, momentum, bias-corrected"] = () => Optimizers.RmsProp(0.01, centered: true, momentum: 0.9, nesterov: true, biasCorrection: true, epsInSqrt: false, initialScale: 0.1),
        ["Lion"] = () => Optimizers.Lion(0.01, weightDecay: 0.1),
        ["Scale, decay, learning rate"] = () => Optimizers.Chain(Optimizers.Scale(0.5), Optimizers.AddDecayedWeights(0.01), Optimizers.Trace(0.5), Optimizers.ScaleByLearningRate(0.1)),
        ["Clip (clipping) + Adam"] = () => Optimizers.Chain(Optimizers.ClipByGlobalNorm(0.01), Optimizers.Adam(0.01)),
        ["Clip (not clipping) + AdamW"] = () => Optimizers.Chain(Optimizers.ClipByGlobalNorm(1e6), Optimizers.AdamW(0.01, weightDecay: 0.1)),
        ["Clip + Sgd momentum"] = () => Optimizers.Chain(Optimizers.ClipByGlobalNorm(0.01), Optimizers.Sgd(0.1, momentum: 0.9)),
    };

    /// <summary>The largest difference allowed between a flat and a per-tensor run (values are of order 1).</summary>
    internal const double Tolerance = 1e-6;

    [Theory]
    [MemberData(nameof(Elementwise))]
    public void FlatAndPerTensorPathsGiveTheSameParametersAndStates(string name)
    {
        var opt = ElementwiseOptimizers[name]();
        Assert.NotNull(opt.Flat);
        var perTensor = PerTensor(opt);
        Assert.Null(perTensor.Flat);
        var batches = Batches(6);
        var p0 = Model.Init(0, batches[0].X);
        var flatTrainer = TrainerFor(opt);
        var slowTrainer = TrainerFor(perTensor);

        // Fit (donating), then Step (pure) on the flat-backed result.
        var flat = flatTrainer.Fit(flatTrainer.Init(p0, seed: 1), batches.Take(4));
        var slow = slowTrainer.Fit(slowTrainer.Init(p0, seed: 1), batches.Take(4));
        foreach (var b in batches.Skip(4))
        {
            (flat, _) = flatTrainer.Step(flat, b);
            (slow, _) = slowTrainer.Step(slow, b);
        }

        AssertClose(flat.Params, slow.Params, $"{name}: parameters");
        AssertClose(flat.OptState.ToParams(), slow.OptState.ToParams(), $"{name}: optimizer states");
        Assert.Equal(slow.OptState.ToParams().Keys.Order(StringComparer.Ordinal), flat.OptState.ToParams().Keys.Order(StringComparer.Ordinal));
        Assert.True(MaxDifference(p0, flat.Params) > 100 * Tolerance, $"{name}: it did not train"); // the tolerance is far below a step
    }

    [Fact]
    public void NonElementwiseOptimizersHaveNoFlatFormAndStillTrain()
    {
        foreach (var opt in new[] { Optimizers.Adafactor(0.01), Optimizers.Chain(Optimizers.ClipByGlobalNorm(1), Optimizers.Adagrad(0.01)), Optimizers.Lamb(0.01) })
        {
            Assert.Null(opt.Flat);
            var batches = Batches(3);
            var trainer = TrainerFor(opt);
            var p0 = Model.Init(0, batches[0].X);
            var final = trainer.Fit(trainer.Init(p0, seed: 1), batches);
            Assert.Equal(3, final.Step);
            Assert.False(p0.BitwiseEquals(final.Params));
        }
    }

    [Fact]
    public void AStateFromTheFlatPathWorksWithThePerTensorPathAndBack()
    {
        var batches = Batches(4);
        var opt = Optimizers.Adam(0.01);
        var flatTrainer = TrainerFor(opt);
        var slowTrainer = TrainerFor(PerTensor(opt));
        var p0 = Model.Init(0, batches[0].X);
        var mixed = slowTrainer.Fit(flatTrainer.Fit(slowTrainer.Fit(flatTrainer.Init(p0, 1), batches.Take(1)), batches.Skip(1).Take(2)), batches.Skip(3));
        var reference = slowTrainer.Fit(slowTrainer.Init(p0, 1), batches);
        AssertClose(mixed.Params, reference.Params, "parameters");
        AssertClose(mixed.OptState.ToParams(), reference.OptState.ToParams(), "optimizer states");
    }

    internal static void AssertClose(Params actual, Params expected, string what)
    {
        Assert.Equal(expected.Keys, actual.Keys);
        var difference = MaxDifference(actual, expected);
        Assert.True(difference <= Tolerance, $"{what} differ by up to {difference}");
    }

    private static double MaxDifference(Params a, Params b) =>
        a.Keys.Max(k => (a[k].to_type(ScalarType.Float64) - b[k].to_type(ScalarType.Float64)).abs().max().item<double>());
}
