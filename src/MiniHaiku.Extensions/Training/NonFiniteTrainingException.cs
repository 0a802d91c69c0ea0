using System.Globalization;

namespace MiniHaiku.Training;

/// <summary>
/// A training step produced a NaN or infinite loss or gradient: the model diverged (e.g. a learning rate far
/// too high) or the batch holds non-finite values. Raised by <see cref="Trainer{TBatch}.Step"/> and
/// <see cref="Trainer{TBatch}.Fit(TrainState, IEnumerable{TBatch}, IProgress{TrainProgress}, int, CancellationToken)"/> unless the trainer skips such steps
/// (<see cref="Trainer{TBatch}.SkipNonFiniteSteps"/>).
/// </summary>
public sealed class NonFiniteTrainingException : MiniHaikuException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="step">The number the failed step would have had (1 for the first step).</param>
    /// <param name="epoch">The epoch, if the caller said which (<see cref="Trainer{TBatch}.FitEpoch"/>), else null.</param>
    /// <param name="quantity">What was not finite: <c>loss</c>, or <c>gradient of '{path}'</c>.</param>
    /// <param name="loss">The step's loss.</param>
    public NonFiniteTrainingException(long step, int? epoch, string quantity, double loss)
        : base(string.Create(CultureInfo.InvariantCulture,
            $"Training stopped at step {step}{(epoch is { } e ? $" (epoch {e})" : "")}: the {quantity} is not finite ({Describe(quantity, loss)}). ") +
            "The model diverged (learning rate too high?) or the batch holds NaN/infinite values. Lower the learning rate, " +
            "clip gradients (Optimizers.ClipByGlobalNorm), check the data, or call trainer.SkipNonFiniteSteps() to skip " +
            "such steps (like Optax's apply_if_finite).")
    {
        Step = step;
        Epoch = epoch;
        Quantity = quantity;
        Loss = loss;
    }

    /// <summary>The number the failed step would have had (1 for the first step).</summary>
    public long Step { get; }

    /// <summary>The epoch, when known.</summary>
    public int? Epoch { get; }

    /// <summary>What was not finite: <c>loss</c>, or <c>gradient of '{path}'</c>.</summary>
    public string Quantity { get; }

    /// <summary>The step's loss (NaN or infinite when the loss itself was the problem).</summary>
    public double Loss { get; }

    /// <summary>The same error, saying which epoch it happened in.</summary>
    /// <param name="epoch">The epoch.</param>
    /// <returns>A new exception with <see cref="Epoch"/> set.</returns>
    public NonFiniteTrainingException InEpoch(int epoch) => new(Step, epoch, Quantity, Loss);

    private static string Describe(string quantity, double loss) =>
        quantity == "loss" ? "it is " + loss.ToString(CultureInfo.InvariantCulture)
            : "it holds NaN or infinite values; the loss was " + loss.ToString(CultureInfo.InvariantCulture);
}
