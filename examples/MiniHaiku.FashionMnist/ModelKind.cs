namespace MiniHaiku.FashionMnistExample;

/// <summary>The two architectures the example trains.</summary>
public enum ModelKind
{
    /// <summary>784-256-128-10 multilayer perceptron with ReLU and dropout.</summary>
    Mlp,

    /// <summary>Two 3×3 convolutions with batch norm, ReLU and 2×2 max pooling, then a dropout MLP head.</summary>
    Cnn,
}
