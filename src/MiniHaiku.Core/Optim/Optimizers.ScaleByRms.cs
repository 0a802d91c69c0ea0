namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// RMSProp's rescaling (<c>optax.scale_by_rms</c>): <c>ν = decay ν + (1-decay) g²</c> (starting at
    /// <paramref name="initialScale"/>), update <c>g / sqrt(ν + eps)</c>, or <c>g / (sqrt(ν) + eps)</c>
    /// when <paramref name="epsInSqrt"/> is false (PyTorch's arithmetic). With
    /// <paramref name="biasCorrection"/>, <c>ν</c> is divided by <c>1 - decay^t</c> first.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.ScaleByRms(decay: 0.9), Optimizers.ScaleByLearningRate(1e-3));</code></example>
    /// <param name="decay">The decay of the squared-gradient average (PyTorch's <c>alpha</c>).</param>
    /// <param name="eps">Added to the denominator.</param>
    /// <param name="initialScale">The starting value of <c>ν</c>.</param>
    /// <param name="epsInSqrt">Add <paramref name="eps"/> inside the square root (Optax) or outside (PyTorch).</param>
    /// <param name="biasCorrection">Divide <c>ν</c> by <c>1 - decay^t</c>.</param>
    /// <returns>The transformation, with slot <c>nu</c>.</returns>
    public static GradientTransformation ScaleByRms(double decay = 0.9, double eps = 1e-8, double initialScale = 0, bool epsInSqrt = true, bool biasCorrection = false) =>
        RmsCore(decay, eps, initialScale, epsInSqrt, centered: false, biasCorrection);
}
