namespace MiniHaiku.Training;

/// <summary>What a <see cref="Trainer{TBatch}"/> does when a step's loss or gradients are NaN or infinite.</summary>
public enum NonFinitePolicy
{
    /// <summary>Throw a <see cref="NonFiniteTrainingException"/> naming the step (the default).</summary>
    Stop,

    /// <summary>
    /// Skip the update (parameters, model state and optimizer state stay as they were), count it in
    /// <see cref="TrainState.SkippedSteps"/> and go on, like Optax's <c>apply_if_finite</c>.
    /// </summary>
    Skip,
}
