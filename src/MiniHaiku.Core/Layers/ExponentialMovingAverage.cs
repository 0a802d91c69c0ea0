using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// An exponential moving average of the values it is called with, kept in state (Haiku's
/// <c>hk.ExponentialMovingAverage</c>; needs <see cref="Hk.TransformWithState{TIn, TOut}"/>).
/// </summary>
/// <remarks>
/// <para>State at <c>{path}/__call__/</c>: <c>counter</c> (int32 scalar, starts at <c>−warmupLength</c>),
/// <c>hidden</c> and <c>average</c> (the value's shape and dtype, zeros).</para>
/// <para>Each call: <c>counter ← counter + 1</c>, <c>hidden ← decay·hidden + (1 − decay)·value</c>, and the
/// average is <c>hidden / (1 − decay^counter)</c> with zero debiasing (the default, so the first average is the
/// first value) or <c>hidden</c> without. During warm-up (<c>counter ≤ 0</c>) the decay is 0, so the average
/// follows the value. <c>updateStats: false</c> computes the same average without writing the state.</para>
/// </remarks>
/// <param name="Name">The module's name.</param>
/// <param name="Decay">The decay in [0, 1].</param>
/// <param name="ZeroDebias">Whether to divide by <c>1 − decay^counter</c>.</param>
/// <param name="WarmupLength">How many calls use decay 0 before the average starts to decay.</param>
/// <example>
/// <code>
/// // Needs Hk.TransformWithState: state counter, hidden and average (zero-debiased).
/// return from ema in ExponentialMovingAverage.Create(0.99)
///        from average in ema.Call(x)
///        select average;
/// </code>
/// </example>
public sealed record ExponentialMovingAverage(ModuleName Name, double Decay, bool ZeroDebias, int WarmupLength) : Module(Name)
{
    /// <summary>Creates a moving average.</summary>
    /// <param name="decay">The decay in [0, 1], e.g. 0.99.</param>
    /// <param name="zeroDebias">Whether to zero-debias (Haiku's default true).</param>
    /// <param name="warmupLength">Calls with decay 0 first (non-negative; needs <paramref name="zeroDebias"/> false).</param>
    /// <param name="name">An explicit module name, or null for <c>ExponentialMovingAverage_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="LayerConfigurationException">The decay is outside [0, 1], the warm-up is negative, or warm-up is combined with zero debiasing.</exception>
    public static Model<ExponentialMovingAverage> Create(double decay, bool zeroDebias = true, int warmupLength = 0, string? name = null)
    {
        Validate(nameof(ExponentialMovingAverage), decay, zeroDebias, warmupLength);
        return Hk.Module(n => new ExponentialMovingAverage(n, decay, zeroDebias, warmupLength), name);
    }

    internal static void Validate(string layer, double decay, bool zeroDebias, int warmupLength)
    {
        if (!(decay >= 0 && decay <= 1)) throw new LayerConfigurationException(layer, $"decay must be in [0, 1], got {decay}.");
        if (warmupLength < 0) throw new LayerConfigurationException(layer, $"warmupLength is {warmupLength}, but should be non-negative.");
        if (warmupLength > 0 && zeroDebias)
            throw new LayerConfigurationException(layer,
                "zero debiasing does not make sense when warming up the value of the average to an initial value. Set zeroDebias: false when warmupLength is not 0.");
    }

    /// <summary>Creates the <c>hidden</c> and <c>average</c> state (zeros) without updating it (Haiku's <c>initialize</c>).</summary>
    /// <param name="shape">The shape of the averaged values.</param>
    /// <param name="dtype">Their dtype.</param>
    /// <returns>A model producing the current average.</returns>
    public Model<Tensor> Initialize(long[] shape, ScalarType dtype = ScalarType.Float32)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return Method(
            from hidden in Hk.GetState("hidden", shape, Initializers.Zeros(), dtype)
            from average in Hk.GetState("average", shape, Initializers.Zeros(), dtype)
            select average, "Call");
    }

    /// <summary>The current average (Haiku's <c>average</c> property); the state must exist.</summary>
    /// <returns>A model producing the average.</returns>
    public Model<Tensor> Average() => Method(Hk.GetState("average"), "Call");

    /// <summary>Updates the average with <paramref name="value"/>.</summary>
    /// <param name="value">The new value (any shape; the same shape at every call).</param>
    /// <param name="updateStats">Whether to write the new counter, hidden value and average to the state.</param>
    /// <returns>A model producing the (debiased) average including <paramref name="value"/>.</returns>
    /// <exception cref="LayerInputException">The value is not floating point.</exception>
    public Model<Tensor> Call(Tensor value, bool updateStats = true)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!value.is_floating_point())
            throw new LayerInputException(Name.Path, $"ExponentialMovingAverage needs floating-point values, got {value.dtype}.");
        var dtype = value.dtype;
        long[] shape = value.shape;
        return Method(
            from counter in Hk.GetState("counter", [], Initializers.Constant(-WarmupLength), ScalarType.Int32)
            from hidden in Hk.GetState("hidden", shape, Initializers.Zeros(), dtype)
            let step = Step(counter, hidden, value)
            from written in updateStats
                ? from c in Hk.SetState("counter", step.Counter)
                  from h in Hk.SetState("hidden", step.Hidden)
                  from a in Hk.SetState("average", step.Average)
                  select a
                : Hk.Pure(step.Average)
            select step.Average, value);
    }

    private (Tensor Counter, Tensor Hidden, Tensor Average) Step(Tensor counter, Tensor hidden, Tensor value)
    {
        if (hidden.dtype != value.dtype)
            throw new LayerInputException(Name.Path, $"ExponentialMovingAverage's state 'hidden' is {hidden.dtype} but the value is {value.dtype}.");
        var count = counter.item<int>() + 1;
        var decay = WarmupLength > 0 && count <= 0 ? 0.0 : Decay;
        var newHidden = hidden.Times(decay).Plus(value.Times(1 - decay));
        var average = ZeroDebias ? newHidden.DividedBy(1 - Math.Pow(decay, count)) : newHidden;
        return (torch.tensor(count, ScalarType.Int32), newHidden, average);
    }
}
