namespace MiniHaiku.FashionMnistExample;

/// <summary>The training loss of one optimizer step.</summary>
/// <param name="Step">The 1-based global step.</param>
/// <param name="Epoch">The 1-based epoch it belongs to.</param>
/// <param name="Loss">The step's batch loss.</param>
public sealed record StepLoss(long Step, int Epoch, double Loss);
