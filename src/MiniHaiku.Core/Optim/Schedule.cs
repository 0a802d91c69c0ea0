namespace MiniHaiku.Optim;

/// <summary>
/// A learning-rate (or any hyper-parameter) schedule: a pure function of the update count, starting
/// at 0 for the first update (as in Optax). A plain number converts to a constant schedule.
/// </summary>
/// <param name="ValueAt">The value at a given count.</param>
public sealed partial record Schedule(Func<long, double> ValueAt)
{
    /// <summary>A constant schedule.</summary>
    /// <param name="value">The value.</param>
    public static implicit operator Schedule(double value) => Constant(value);

    /// <summary>Always <paramref name="value"/>.</summary>
    /// <example><code>Schedule lr = Schedule.Constant(1e-3);   // or just 1e-3: a double converts to a constant schedule</code></example>
    /// <param name="value">The value.</param>
    /// <returns>The schedule.</returns>
    public static Schedule Constant(double value) => new(_ => value);

    /// <summary>
    /// <c>init * rate^(count / transitionSteps)</c> (with <paramref name="staircase"/>, the exponent is
    /// rounded down), after <paramref name="transitionBegin"/> steps at <paramref name="initValue"/>, and
    /// clipped at <paramref name="endValue"/> when given (<c>optax.exponential_decay</c>).
    /// </summary>
    /// <example><code>
    /// var lr = Schedule.ExponentialDecay(1e-3, transitionSteps: 1_000, decayRate: 0.5);   // halves every 1000 steps
    /// double now = lr.ValueAt(step);
    /// </code></example>
    /// <param name="initValue">The value at count 0.</param>
    /// <param name="transitionSteps">Steps per factor of <paramref name="decayRate"/>; must be positive.</param>
    /// <param name="decayRate">The factor per <paramref name="transitionSteps"/>; must be positive.</param>
    /// <param name="transitionBegin">Steps to hold <paramref name="initValue"/> before decaying.</param>
    /// <param name="staircase">Decay in discrete jumps.</param>
    /// <param name="endValue">A bound the value never passes (a floor when decaying, a ceiling when growing).</param>
    /// <returns>The schedule.</returns>
    public static Schedule ExponentialDecay(double initValue, long transitionSteps, double decayRate,
        long transitionBegin = 0, bool staircase = false, double? endValue = null)
    {
        if (transitionSteps <= 0) throw new OptimizerConfigurationException(nameof(ExponentialDecay), $"transitionSteps must be positive, got {transitionSteps}.");
        if (decayRate <= 0) throw new OptimizerConfigurationException(nameof(ExponentialDecay), $"decayRate must be positive, got {decayRate}.");
        if (transitionBegin < 0) throw new OptimizerConfigurationException(nameof(ExponentialDecay), $"transitionBegin must not be negative, got {transitionBegin}.");
        return new(count =>
        {
            var t = Math.Max(0, count - transitionBegin);
            var p = (double)t / transitionSteps;
            if (staircase) p = Math.Floor(p);
            var v = initValue * Math.Pow(decayRate, p);
            if (endValue is { } end) v = decayRate < 1 ? Math.Max(v, end) : Math.Min(v, end);
            return v;
        });
    }

    /// <summary>
    /// Cosine decay from <paramref name="initValue"/> to <c>alpha * initValue</c> over
    /// <paramref name="decaySteps"/>, then constant (<c>optax.cosine_decay_schedule</c>):
    /// <c>init * ((1 - alpha) * 0.5 * (1 + cos(pi * min(count, steps) / steps)) + alpha)</c>.
    /// </summary>
    /// <example><code>var opt = Optimizers.Adam(Schedule.CosineDecay(1e-3, decaySteps: 10_000, alpha: 0.1));</code></example>
    /// <param name="initValue">The value at count 0.</param>
    /// <param name="decaySteps">The length of the decay; must be positive.</param>
    /// <param name="alpha">The final value as a fraction of <paramref name="initValue"/>.</param>
    /// <returns>The schedule.</returns>
    public static Schedule CosineDecay(double initValue, long decaySteps, double alpha = 0)
    {
        if (decaySteps <= 0) throw new OptimizerConfigurationException(nameof(CosineDecay), $"decaySteps must be positive, got {decaySteps}.");
        return new(count =>
        {
            var t = (double)Math.Clamp(count, 0, decaySteps) / decaySteps;
            return initValue * ((1 - alpha) * 0.5 * (1 + Math.Cos(Math.PI * t)) + alpha);
        });
    }

    /// <summary>
    /// Linear warm-up from <paramref name="initValue"/> to <paramref name="peakValue"/> over
    /// <paramref name="warmupSteps"/>, then cosine decay to <paramref name="endValue"/> at
    /// <paramref name="decaySteps"/> (counted from 0, including the warm-up), then constant
    /// (<c>optax.warmup_cosine_decay_schedule</c>).
    /// </summary>
    /// <example><code>var opt = Optimizers.AdamW(Schedule.WarmupCosineDecay(0, 1e-3, warmupSteps: 500, decaySteps: 10_000));</code></example>
    /// <param name="initValue">The value at count 0.</param>
    /// <param name="peakValue">The value at the end of the warm-up.</param>
    /// <param name="warmupSteps">The warm-up length (may be 0).</param>
    /// <param name="decaySteps">The total length of warm-up plus decay; must exceed <paramref name="warmupSteps"/>.</param>
    /// <param name="endValue">The final value.</param>
    /// <returns>The schedule.</returns>
    public static Schedule WarmupCosineDecay(double initValue, double peakValue, long warmupSteps, long decaySteps, double endValue = 0)
    {
        if (warmupSteps < 0) throw new OptimizerConfigurationException(nameof(WarmupCosineDecay), $"warmupSteps must not be negative, got {warmupSteps}.");
        if (decaySteps <= warmupSteps) throw new OptimizerConfigurationException(nameof(WarmupCosineDecay), $"decaySteps must exceed warmupSteps, got decaySteps = {decaySteps}, warmupSteps = {warmupSteps}.");
        return new(count =>
        {
            if (count < warmupSteps) return initValue + (peakValue - initValue) * count / warmupSteps;
            var t = (double)Math.Min(count - warmupSteps, decaySteps - warmupSteps) / (decaySteps - warmupSteps);
            return endValue + (peakValue - endValue) * 0.5 * (1 + Math.Cos(Math.PI * t));
        });
    }
}
