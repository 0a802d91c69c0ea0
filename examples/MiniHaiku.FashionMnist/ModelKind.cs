namespace MiniHaiku.FashionMnistExample;

/// <summary>The architectures the example trains.</summary>
public enum ModelKind
{
    /// <summary>784-256-128-10 multilayer perceptron with ReLU and dropout.</summary>
    Mlp,

    /// <summary>Two 3×3 convolutions with batch norm, ReLU and 2×2 max pooling, then a dropout MLP head.</summary>
    Cnn,

    /// <summary>A small residual network from the library's <c>Nets.ResNet</c> (one basic block per stage).</summary>
    Resnet,
}
