using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Adafactor's factored second-moment rescaling (<c>optax.scale_by_factored_rms</c>). With the decay
    /// <c>d_t = 1 - (t + 1 - stepOffset)^(-decayRate)</c> (<c>t</c> from 0) and <c>G = g² + epsilon</c>:
    /// a tensor whose second-largest axis has at least <paramref name="minDimSizeToFactor"/> elements keeps
    /// row and column averages of <c>G</c> (over its largest and second-largest axis) and is divided by
    /// <c>sqrt(row / mean(row) · col)</c>; any other tensor keeps the full average <c>v</c> and is divided by <c>sqrt(v)</c>.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.ScaleByFactoredRms(), Optimizers.ScaleByLearningRate(1e-2));   // factored second moments for matrices</code></example>
    /// <param name="factored">Factor the second moment of large enough tensors.</param>
    /// <param name="decayRate">The exponent of the decay schedule.</param>
    /// <param name="stepOffset">Subtracted from the step in the decay schedule.</param>
    /// <param name="minDimSizeToFactor">The smallest second-largest axis that is factored.</param>
    /// <param name="epsilon">Added to <c>g²</c>.</param>
    /// <returns>The transformation, with slots <c>v_row</c>, <c>v_col</c> and <c>v</c> (unused ones hold one zero).</returns>
    public static GradientTransformation ScaleByFactoredRms(bool factored = true, double decayRate = 0.8, double stepOffset = 0, int minDimSizeToFactor = 128, double epsilon = 1e-30) =>
        new(p =>
        {
            Tensor Dummy(Tensor t) => torch.zeros([1], t.dtype);
            return OptState.WithSlots(
                ("v_row", p.Map(t => FactoredDims(t.shape, factored, minDimSizeToFactor) is var (_, d0) ? torch.zeros(Without(t.shape, d0), t.dtype) : Dummy(t))),
                ("v_col", p.Map(t => FactoredDims(t.shape, factored, minDimSizeToFactor) is var (d1, _) ? torch.zeros(Without(t.shape, d1), t.dtype) : Dummy(t))),
                ("v", p.Map(t => FactoredDims(t.shape, factored, minDimSizeToFactor) is null ? torch.zeros_like(t) : Dummy(t))));
        }, (grads, s, _) =>
        {
            var decay = 1 - Math.Pow(s.Count - stepOffset + 1, -decayRate);
            var (updates, state) = MapSlots(grads, s, ["v_row", "v_col", "v"], (_, g, slots) =>
            {
                using var gradSquared = g.Squared().PlusInPlace(epsilon);
                if (FactoredDims(g.shape, factored, minDimSizeToFactor) is var (d1, d0))
                {
                    using var rowMean = gradSquared.mean([d0]);
                    using var colMean = gradSquared.mean([d1]);
                    var vRow = slots[0].Times(decay).PlusScaledInPlace(rowMean, 1 - decay);
                    var vCol = slots[1].Times(decay).PlusScaledInPlace(colMean, 1 - decay);
                    var reducedD1 = d1 > d0 ? d1 - 1 : d1;
                    using var rowColMean = vRow.mean([reducedD1], keepdim: true);
                    using var rowFactor = vRow.div(rowColMean).rsqrt_();
                    using var colFactor = vCol.rsqrt();
                    var update = g.mul(rowFactor.unsqueeze(d0)).mul_(colFactor.unsqueeze(d1));
                    return (update, [vRow, vCol, slots[2].clone()]);
                }
                var v = slots[2].Times(decay).PlusScaledInPlace(gradSquared, 1 - decay);
                using var inverse = v.rsqrt();
                return (g.mul(inverse), [slots[0].clone(), slots[1].clone(), v]);
            });
            return (updates, state with { Count = s.Count + 1 });
        });

    /// <summary>The (second-largest, largest) axes of a tensor to factor, or null (Optax's <c>_factored_dims</c>).</summary>
    internal static (long D1, long D0)? FactoredDims(long[] shape, bool factored, int minDimSizeToFactor)
    {
        if (!factored || shape.Length < 2) return null;
        var sorted = Enumerable.Range(0, shape.Length).OrderBy(i => shape[i]).ToArray(); // stable, as NumPy's argsort on ties in practice
        if (shape[sorted[^2]] < minDimSizeToFactor) return null;
        return (sorted[^2], sorted[^1]);
    }

    private static long[] Without(long[] shape, long axis) => shape.Where((_, i) => i != axis).ToArray();

    /// <summary>
    /// Scales each update by the root mean square of its parameter, at least <paramref name="minScale"/>
    /// (<c>optax.scale_by_param_block_rms</c>). Needs the parameters.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.ScaleByFactoredRms(), Optimizers.ScaleByParamBlockRms(), Optimizers.ScaleByLearningRate(1e-2));</code></example>
    /// <param name="minScale">The smallest scale.</param>
    /// <returns>The transformation.</returns>
    public static GradientTransformation ScaleByParamBlockRms(double minScale = 1e-3) =>
        new(_ => OptState.Empty, (grads, s, p) =>
        {
            var ps = RequireParams(p, nameof(ScaleByParamBlockRms));
            return (grads.Map((path, u) =>
            {
                using var rmsTensor = ps[path].to_type(ScalarType.Float64).Squared().mean().sqrt();
                var rms = rmsTensor.item<double>();
                return u.Times(rms <= minScale ? minScale : rms);
            }), s);
        });

    /// <summary>Divides each update by <c>max(1, rms(u) / threshold)</c> (as <c>optax.clip_by_block_rms</c>).</summary>
    internal static GradientTransformation BlockRmsClip(double threshold) =>
        new(_ => OptState.Empty, (grads, s, _) => (grads.Map(u =>
        {
            using var rmsTensor = u.to_type(ScalarType.Float64).Squared().mean().sqrt();
            return u.DividedBy(Math.Max(1.0, rmsTensor.item<double>() / threshold));
        }), s));

    /// <summary>A non-debiased exponential moving average of the updates (as <c>optax.ema(decay, debias: false)</c>).</summary>
    internal static GradientTransformation MomentumEma(double decay) =>
        new(p => OptState.WithSlots(("ema", p.ZerosLike())), (grads, s, _) =>
        {
            var (updates, state) = MapSlots(grads, s, ["ema"], (_, g, slots) => { var e = Ema(slots[0], g, decay); return (e, [e]); });
            return (updates, state with { Count = s.Count + 1 });
        });

    /// <summary>
    /// Adafactor (<c>optax.adafactor</c>): <see cref="ScaleByFactoredRms"/>, block-RMS clipping at
    /// <paramref name="clippingThreshold"/>, the learning rate (when given), the parameter scale
    /// (<see cref="ScaleByParamBlockRms"/>), optional momentum and weight decay, then a descent step.
    /// Pass the parameters to <c>Update</c>. Without a learning rate the step is relative to the parameters' scale.
    /// </summary>
    /// <example><code>var opt = Optimizers.Adafactor(learningRate: 1e-2);   // memory-light for large matrices</code></example>
    /// <param name="learningRate">A constant or a <see cref="Schedule"/>; null for none.</param>
    /// <param name="minDimSizeToFactor">The smallest second-largest axis that is factored.</param>
    /// <param name="decayRate">The exponent of the second-moment decay schedule.</param>
    /// <param name="decayOffset">The step offset of that schedule.</param>
    /// <param name="multiplyByParameterScale">Scale updates by the parameters' root mean square.</param>
    /// <param name="clippingThreshold">The block-RMS clipping threshold; null for none.</param>
    /// <param name="momentum">Momentum decay (a non-debiased average); null for none.</param>
    /// <param name="weightDecayRate">Weight decay added to the updates; null for none.</param>
    /// <param name="eps">Added to <c>g²</c>.</param>
    /// <param name="factored">Factor the second moment of large tensors.</param>
    /// <param name="weightDecayMask">Selects by path the parameters that are decayed (null: all).</param>
    /// <returns>The optimizer.</returns>
    public static GradientTransformation Adafactor(Schedule? learningRate = null, int minDimSizeToFactor = 128, double decayRate = 0.8, double decayOffset = 0,
        bool multiplyByParameterScale = true, double? clippingThreshold = 1.0, double? momentum = null, double? weightDecayRate = null,
        double eps = 1e-30, bool factored = true, Func<string, bool>? weightDecayMask = null)
    {
        var links = new List<GradientTransformation> { ScaleByFactoredRms(factored, decayRate, decayOffset, minDimSizeToFactor, eps) };
        if (clippingThreshold is { } threshold) links.Add(BlockRmsClip(threshold));
        if (learningRate is not null) links.Add(ScaleByLearningRate(new Schedule(c => -learningRate.ValueAt(c))));
        if (multiplyByParameterScale) links.Add(ScaleByParamBlockRms());
        if (momentum is { } m) links.Add(MomentumEma(m));
        if (weightDecayRate is { } wd) links.Add(ScheduledDecayedWeights(_ => wd, weightDecayMask));
        links.Add(ScaleByLearningRate(1.0));
        return Chain([.. links]);
    }
}
