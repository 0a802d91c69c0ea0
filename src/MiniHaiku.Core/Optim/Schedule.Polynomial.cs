namespace MiniHaiku.Optim;

public sealed partial record Schedule
{
    /// <summary>
    /// A polynomial transition (<c>optax.polynomial_schedule</c>): <paramref name="initValue"/> until
    /// <paramref name="transitionBegin"/>, then <c>(init − end)·(1 − (t − begin)/steps)^power + end</c>,
    /// then <paramref name="endValue"/> from <c>begin + steps</c> on. A non-positive
    /// <paramref name="transitionSteps"/> gives the constant <paramref name="initValue"/>; a negative
    /// <paramref name="transitionBegin"/> counts as 0 (both as in Optax).
    /// </summary>
    /// <example><code>var lr = Schedule.Polynomial(1e-3, endValue: 1e-5, power: 2, transitionSteps: 10_000);</code></example>
    /// <param name="initValue">The value before and at the start of the transition.</param>
    /// <param name="endValue">The value at and after its end.</param>
    /// <param name="power">The power of the polynomial.</param>
    /// <param name="transitionSteps">The length of the transition.</param>
    /// <param name="transitionBegin">Steps to hold <paramref name="initValue"/> first.</param>
    /// <returns>The schedule.</returns>
    public static Schedule Polynomial(double initValue, double endValue, double power, long transitionSteps, long transitionBegin = 0)
    {
        if (transitionSteps <= 0) return Constant(initValue);
        var begin = Math.Max(0, transitionBegin);
        return new(count =>
        {
            var t = Math.Clamp(count - begin, 0, transitionSteps);
            var frac = 1 - (double)t / transitionSteps;
            return (initValue - endValue) * Math.Pow(frac, power) + endValue;
        });
    }

    /// <summary>
    /// A linear transition from <paramref name="initValue"/> to <paramref name="endValue"/> over
    /// <paramref name="transitionSteps"/> after <paramref name="transitionBegin"/> steps
    /// (<c>optax.linear_schedule</c>; <see cref="Polynomial"/> with power 1).
    /// </summary>
    /// <example><code>var lr = Schedule.Linear(1e-3, 0, transitionSteps: 10_000, transitionBegin: 1_000);</code></example>
    /// <param name="initValue">The value before and at the start of the transition.</param>
    /// <param name="endValue">The value at and after its end.</param>
    /// <param name="transitionSteps">The length of the transition.</param>
    /// <param name="transitionBegin">Steps to hold <paramref name="initValue"/> first.</param>
    /// <returns>The schedule.</returns>
    public static Schedule Linear(double initValue, double endValue, long transitionSteps, long transitionBegin = 0) =>
        Polynomial(initValue, endValue, 1, transitionSteps, transitionBegin);

    /// <summary>
    /// Linear warm-up from <paramref name="initValue"/> to <paramref name="peakValue"/> over
    /// <paramref name="warmupSteps"/>, then constant (<c>optax.warmup_constant_schedule</c>).
    /// </summary>
    /// <example><code>var lr = Schedule.WarmupConstant(0, 1e-3, warmupSteps: 500);</code></example>
    /// <param name="initValue">The value at count 0.</param>
    /// <param name="peakValue">The value from the end of the warm-up on.</param>
    /// <param name="warmupSteps">The warm-up length.</param>
    /// <returns>The schedule.</returns>
    public static Schedule WarmupConstant(double initValue, double peakValue, long warmupSteps) =>
        Linear(initValue, peakValue, warmupSteps);
}
