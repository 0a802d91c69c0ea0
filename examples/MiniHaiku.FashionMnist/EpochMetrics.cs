namespace MiniHaiku.FashionMnistExample;

/// <summary>What one epoch of training measured.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="TrainLoss">Mean training loss over the epoch's steps (training mode, before each update).</param>
/// <param name="TestLoss">Mean loss on the test set (evaluation mode).</param>
/// <param name="TestAccuracy">Accuracy on the test set (evaluation mode).</param>
/// <param name="Seconds">Wall time of the epoch's training steps.</param>
/// <param name="SamplesPerSecond">Training throughput.</param>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double TestLoss, double TestAccuracy, double Seconds, double SamplesPerSecond);
