using MiniHaiku.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.FashionMnistExample;

/// <summary>The two Fashion-MNIST classifiers, written as MiniHaiku query expressions.</summary>
public static class Models
{
    /// <summary>The transformed model of <paramref name="kind"/> (stateful: the CNN keeps batch-norm statistics).</summary>
    /// <param name="kind">The architecture.</param>
    /// <returns>Init/Apply pair taking <see cref="ModelInput"/> and returning logits [B, 10].</returns>
    public static TransformedWithState<ModelInput, Tensor> Create(ModelKind kind) => kind switch
    {
        ModelKind.Mlp => Hk.TransformWithState<ModelInput, Tensor>(Mlp),
        ModelKind.Cnn => throw new NotSupportedException("cnn pending layers"),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown model kind."),
    };

    /// <summary>A human-readable description of the architecture.</summary>
    /// <param name="kind">The architecture.</param>
    /// <returns>One line.</returns>
    public static string Describe(ModelKind kind) => kind switch
    {
        ModelKind.Mlp => "MLP 784-256-128-10, ReLU, dropout 0.2",
        _ => "CNN conv3x3(32)-BN-ReLU-maxpool2, conv3x3(64)-BN-ReLU-maxpool2, dropout 0.25, dense 128-ReLU, dropout 0.5, dense 10",
    };

    /// <summary>784-256-128-10 perceptron with ReLU and dropout 0.2 after each hidden layer.</summary>
    /// <param name="input">Images and the training flag.</param>
    /// <returns>Logits [B, 10].</returns>
    public static Model<Tensor> Mlp(ModelInput input)
    {
        var x = input.Images.flatten(1);
        return from h1 in Linear.Create(256, name: "hidden1").Call(x)
               from d1 in Hk.Dropout(0.2, Activations.Relu(h1), input.IsTraining)
               from h2 in Linear.Create(128, name: "hidden2").Call(d1)
               from d2 in Hk.Dropout(0.2, Activations.Relu(h2), input.IsTraining)
               from logits in Linear.Create(10, name: "logits").Call(d2)
               select logits;
    }
}
