using TorchSharp;

namespace MiniHaiku.FashionMnistExample;

/// <summary>What the models take: a batch of images and whether this is a training step.</summary>
/// <param name="Images">float32 [B, 1, 28, 28] in [0, 1].</param>
/// <param name="IsTraining">True turns dropout on and makes batch norm use (and update) batch statistics.</param>
public sealed record ModelInput(torch.Tensor Images, bool IsTraining);
