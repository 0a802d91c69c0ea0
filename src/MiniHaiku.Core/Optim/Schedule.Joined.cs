namespace MiniHaiku.Optim;

/// <summary>One cycle of <see cref="Schedule.Sgdr"/>: the arguments of <see cref="Schedule.WarmupCosineDecay"/>.</summary>
/// <param name="InitValue">The value at the start of the cycle.</param>
/// <param name="PeakValue">The value at the end of the warm-up.</param>
/// <param name="WarmupSteps">The warm-up length.</param>
/// <param name="DecaySteps">The cycle length, warm-up included.</param>
/// <param name="EndValue">The value at the end of the cycle.</param>
public sealed record SgdrCycle(double InitValue, double PeakValue, long WarmupSteps, long DecaySteps, double EndValue = 0);

public sealed partial record Schedule
{
    /// <summary>
    /// Runs <paramref name="schedules"/> one after another (<c>optax.join_schedules</c>): from
    /// <c>boundaries[i]</c> on, <c>schedules[i + 1]</c> is used, given the count minus that boundary.
    /// </summary>
    /// <example><code>
    /// var lr = Schedule.JoinSchedules(
    ///     [Schedule.Linear(0, 1e-3, transitionSteps: 100), Schedule.CosineDecay(1e-3, decaySteps: 900)],
    ///     boundaries: [100]);   // the second starts counting at step 100
    /// </code></example>
    /// <param name="schedules">The schedules, at least one.</param>
    /// <param name="boundaries">The counts at which to switch; one fewer than the schedules, ascending.</param>
    /// <returns>The schedule.</returns>
    /// <exception cref="OptimizerConfigurationException">The counts of schedules and boundaries do not fit.</exception>
    public static Schedule JoinSchedules(IReadOnlyList<Schedule> schedules, IReadOnlyList<long> boundaries)
    {
        ArgumentNullException.ThrowIfNull(schedules);
        ArgumentNullException.ThrowIfNull(boundaries);
        if (schedules.Count == 0) throw new OptimizerConfigurationException("Schedule", "JoinSchedules needs at least one schedule.");
        if (boundaries.Count != schedules.Count - 1)
            throw new OptimizerConfigurationException("Schedule", $"JoinSchedules needs one boundary fewer than schedules: got {schedules.Count} schedules and {boundaries.Count} boundaries.");
        var ss = schedules.ToArray();
        foreach (var s in ss) ArgumentNullException.ThrowIfNull(s, nameof(schedules));
        var bs = boundaries.ToArray();
        return new(count =>
        {
            var output = ss[0].ValueAt(count);
            for (var i = 0; i < bs.Length; i++)
                if (count >= bs[i]) output = ss[i + 1].ValueAt(count - bs[i]);
            return output;
        });
    }

    /// <summary>
    /// <paramref name="initValue"/> multiplied by every scale whose boundary the count has reached
    /// (<c>optax.piecewise_constant_schedule</c>): with <c>{100: 0.1, 200: 0.1}</c>, 1 → 0.1 at 100 → 0.01 at 200.
    /// </summary>
    /// <example><code>var lr = Schedule.PiecewiseConstant(0.1, new Dictionary&lt;long, double> { [30_000] = 0.1, [60_000] = 0.1 });   // 0.1, 0.01, 0.001</code></example>
    /// <param name="initValue">The value before the first boundary.</param>
    /// <param name="boundariesAndScales">Boundary count → non-negative factor, or null.</param>
    /// <returns>The schedule.</returns>
    /// <exception cref="OptimizerConfigurationException">A scale is negative.</exception>
    public static Schedule PiecewiseConstant(double initValue, IReadOnlyDictionary<long, double>? boundariesAndScales = null)
    {
        var pairs = (boundariesAndScales ?? new Dictionary<long, double>()).OrderBy(kv => kv.Key).ToArray();
        if (pairs.Any(kv => !(kv.Value >= 0)))
            throw new OptimizerConfigurationException("Schedule", "PiecewiseConstant expects non-negative scale factors.");
        return new(count =>
        {
            var v = initValue;
            foreach (var (boundary, scale) in pairs)
                if (count >= boundary) v *= scale;
            return v;
        });
    }

    /// <summary>
    /// Like <see cref="PiecewiseConstant"/>, but the value moves from one accumulated level to the next
    /// over each interval instead of jumping (<c>optax.piecewise_interpolate_schedule</c>): level <c>i</c>
    /// is reached at boundary <c>i</c>, and after the last boundary the last level holds.
    /// </summary>
    /// <example><code>var lr = Schedule.PiecewiseInterpolate("linear", 1e-3, new Dictionary&lt;long, double> { [1_000] = 1.0, [5_000] = 0.1 });</code></example>
    /// <param name="interpolateType"><c>"linear"</c> or <c>"cosine"</c>.</param>
    /// <param name="initValue">The value at count 0.</param>
    /// <param name="boundariesAndScales">Boundary count → non-negative factor, or null.</param>
    /// <returns>The schedule.</returns>
    /// <exception cref="OptimizerConfigurationException">Unknown interpolation or a negative scale.</exception>
    public static Schedule PiecewiseInterpolate(string interpolateType, double initValue, IReadOnlyDictionary<long, double>? boundariesAndScales = null)
    {
        ArgumentNullException.ThrowIfNull(interpolateType);
        Func<double, double, double, double> interpolate = interpolateType switch
        {
            "linear" => (start, end, pct) => (end - start) * pct + start,
            "cosine" => (start, end, pct) => end + (start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1),
            _ => throw new OptimizerConfigurationException("Schedule", $"interpolateType must be either 'cosine' or 'linear', got '{interpolateType}'."),
        };
        var pairs = (boundariesAndScales ?? new Dictionary<long, double>()).OrderBy(kv => kv.Key).ToArray();
        if (pairs.Any(kv => !(kv.Value >= 0)))
            throw new OptimizerConfigurationException("Schedule", "PiecewiseInterpolate expects non-negative scale factors.");
        var bounds = new long[pairs.Length + 1];
        var values = new double[pairs.Length + 1];
        values[0] = initValue;
        for (var i = 0; i < pairs.Length; i++)
        {
            bounds[i + 1] = pairs[i].Key;
            values[i + 1] = values[i] * pairs[i].Value;
        }
        return new(count =>
        {
            if (count >= bounds[^1]) return values[^1];
            for (var i = 0; i < pairs.Length; i++)
                if (bounds[i] <= count && count < bounds[i + 1])
                    return interpolate(values[i], values[i + 1], (double)(count - bounds[i]) / Math.Max(bounds[i + 1] - bounds[i], 1));
            return 0; // count below 0, as in Optax
        });
    }

    /// <summary>
    /// Linear warm-up to <paramref name="peakValue"/>, then <see cref="ExponentialDecay"/> from it, counted
    /// from the end of the warm-up (<c>optax.warmup_exponential_decay_schedule</c>).
    /// </summary>
    /// <example><code>var lr = Schedule.WarmupExponentialDecay(0, 1e-3, warmupSteps: 500, transitionSteps: 1_000, decayRate: 0.9);</code></example>
    /// <param name="initValue">The value at count 0.</param>
    /// <param name="peakValue">The value at the end of the warm-up.</param>
    /// <param name="warmupSteps">The warm-up length.</param>
    /// <param name="transitionSteps">Steps per factor of <paramref name="decayRate"/>; must be positive.</param>
    /// <param name="decayRate">The decay factor; must be positive.</param>
    /// <param name="transitionBegin">Steps after the warm-up to hold <paramref name="peakValue"/>.</param>
    /// <param name="staircase">Decay in discrete jumps.</param>
    /// <param name="endValue">A bound the value never passes.</param>
    /// <returns>The schedule.</returns>
    public static Schedule WarmupExponentialDecay(double initValue, double peakValue, long warmupSteps, long transitionSteps, double decayRate,
        long transitionBegin = 0, bool staircase = false, double? endValue = null) =>
        JoinSchedules(
            [Linear(initValue, peakValue, warmupSteps), ExponentialDecay(peakValue, transitionSteps, decayRate, transitionBegin, staircase, endValue)],
            [warmupSteps]);

    /// <summary>
    /// The one-cycle policy with cosine phases (<c>optax.cosine_onecycle_schedule</c>, Smith 2017): from
    /// <c>peak / divFactor</c> up to <paramref name="peakValue"/> at <c>pctStart·transitionSteps</c>, then down
    /// to <c>peak / (divFactor·finalDivFactor)</c> at <paramref name="transitionSteps"/>.
    /// </summary>
    /// <example><code>var lr = Schedule.CosineOnecycle(transitionSteps: 10_000, peakValue: 1e-2);</code></example>
    /// <param name="transitionSteps">The cycle length; must be positive.</param>
    /// <param name="peakValue">The largest value.</param>
    /// <param name="pctStart">The fraction of the cycle spent rising.</param>
    /// <param name="divFactor">The initial value is <c>peak / divFactor</c>.</param>
    /// <param name="finalDivFactor">The final value is <c>initial / finalDivFactor</c>.</param>
    /// <returns>The schedule.</returns>
    public static Schedule CosineOnecycle(long transitionSteps, double peakValue, double pctStart = 0.3, double divFactor = 25.0, double finalDivFactor = 1e4)
    {
        if (transitionSteps <= 0) throw new OptimizerConfigurationException("Schedule", $"transitionSteps: A cosine onecycle schedule needs positive transitionSteps. (got {transitionSteps})");
        var scales = new Dictionary<long, double>
        {
            [(long)(pctStart * transitionSteps)] = divFactor,
        };
        scales[transitionSteps] = 1.0 / (divFactor * finalDivFactor);
        return PiecewiseInterpolate("cosine", peakValue / divFactor, scales);
    }

    /// <summary>
    /// The one-cycle policy with three linear phases (<c>optax.linear_onecycle_schedule</c>): from
    /// <c>peak / divFactor</c> up to <paramref name="peakValue"/> at <c>pctStart·steps</c>, back down to
    /// <c>peak / divFactor</c> at <c>pctFinal·steps</c>, then to <c>peak / divFactor / finalDivFactor</c> at
    /// <paramref name="transitionSteps"/>.
    /// </summary>
    /// <example><code>var lr = Schedule.LinearOnecycle(transitionSteps: 10_000, peakValue: 1e-2);</code></example>
    /// <param name="transitionSteps">The cycle length; must be positive.</param>
    /// <param name="peakValue">The largest value.</param>
    /// <param name="pctStart">The fraction of the cycle spent rising.</param>
    /// <param name="pctFinal">The fraction at which the value is back at its start.</param>
    /// <param name="divFactor">The initial value is <c>peak / divFactor</c>.</param>
    /// <param name="finalDivFactor">The final value is <c>initial / finalDivFactor</c>.</param>
    /// <returns>The schedule.</returns>
    public static Schedule LinearOnecycle(long transitionSteps, double peakValue, double pctStart = 0.3, double pctFinal = 0.85, double divFactor = 25.0, double finalDivFactor = 1e4)
    {
        if (transitionSteps <= 0) throw new OptimizerConfigurationException("Schedule", $"transitionSteps: A linear onecycle schedule needs positive transitionSteps. (got {transitionSteps})");
        var scales = new Dictionary<long, double>
        {
            [(long)(pctStart * transitionSteps)] = divFactor,
        };
        scales[(long)(pctFinal * transitionSteps)] = 1.0 / divFactor;
        scales[transitionSteps] = 1.0 / finalDivFactor;
        return PiecewiseInterpolate("linear", peakValue / divFactor, scales);
    }

    /// <summary>
    /// Stochastic gradient descent with warm restarts (<c>optax.sgdr_schedule</c>, Loshchilov and Hutter 2017):
    /// one <see cref="WarmupCosineDecay"/> per cycle, each starting when the previous one's
    /// <c>DecaySteps</c> are over.
    /// </summary>
    /// <example><code>var lr = Schedule.Sgdr([new SgdrCycle(0, 1e-3, WarmupSteps: 100, DecaySteps: 1_000), new SgdrCycle(0, 5e-4, 100, 2_000)]);   // warm restarts</code></example>
    /// <param name="cosineKwargs">The cycles, at least one.</param>
    /// <returns>The schedule.</returns>
    public static Schedule Sgdr(IEnumerable<SgdrCycle> cosineKwargs)
    {
        ArgumentNullException.ThrowIfNull(cosineKwargs);
        var schedules = new List<Schedule>();
        var boundaries = new List<long>();
        var step = 0L;
        foreach (var c in cosineKwargs)
        {
            ArgumentNullException.ThrowIfNull(c, nameof(cosineKwargs));
            schedules.Add(WarmupCosineDecay(c.InitValue, c.PeakValue, c.WarmupSteps, c.DecaySteps, c.EndValue));
            step += c.DecaySteps;
            boundaries.Add(step);
        }
        if (schedules.Count == 0) throw new OptimizerConfigurationException("Schedule", "Sgdr needs at least one cycle.");
        return JoinSchedules(schedules, boundaries.Take(boundaries.Count - 1).ToList());
    }
}
