using MiniHaiku.Layers;
using MiniHaiku.Nets;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.FashionMnistExample;

/// <summary>The Fashion-MNIST classifiers, written as MiniHaiku query expressions.</summary>
public static class Models
{
    /// <summary>The transformed model of <paramref name="kind"/> (stateful: the CNN keeps batch-norm statistics).</summary>
    /// <param name="kind">The architecture.</param>
    /// <returns>Init/Apply pair taking <see cref="ModelInput"/> and returning logits [B, 10].</returns>
    public static TransformedWithState<ModelInput, Tensor> Create(ModelKind kind) => kind switch
    {
        ModelKind.Mlp => Hk.TransformWithState<ModelInput, Tensor>(Mlp),
        ModelKind.Cnn => Hk.TransformWithState<ModelInput, Tensor>(Cnn),
        ModelKind.Resnet => Hk.TransformWithState<ModelInput, Tensor>(ResNet),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown model kind."),
    };

    /// <summary>A human-readable description of the architecture.</summary>
    /// <param name="kind">The architecture.</param>
    /// <returns>One line.</returns>
    public static string Describe(ModelKind kind) => kind switch
    {
        ModelKind.Mlp => "MLP 784-256-128-10, ReLU, dropout 0.2",
        ModelKind.Resnet => "ResNet (Nets.ResNet v1): conv3x3(8)-BN-ReLU, maxpool3x3/2, one basic block per stage with 8-16-32-64 channels, mean pool, dense 10",
        _ => "CNN conv3x3(32)-BN-ReLU-maxpool2, conv3x3(64)-BN-ReLU-maxpool2, dropout 0.1, dense 128, ReLU, dropout 0.3, dense 10",
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

    /// <summary>
    /// Two 3×3 convolutions (32 and 64 channels, no bias: batch norm has the offset), each followed by
    /// batch norm, ReLU and 2×2 max pooling; dropout 0.1; dense 128 with ReLU; dropout 0.3; dense 10.
    /// </summary>
    /// <param name="input">Images [B, 1, 28, 28] and the training flag.</param>
    /// <returns>Logits [B, 10].</returns>
    public static Model<Tensor> Cnn(ModelInput input)
    {
        var (x, training) = (input.Images, input.IsTraining);
        const DataFormat nchw = DataFormat.ChannelsFirst;
        return from c1 in Conv2D.Create(32, 3, withBias: false, dataFormat: nchw, name: "conv1").Call(x)
               from n1 in BatchNorm.Create(dataFormat: nchw, name: "bn1").Call(c1, training)
               from p1 in MaxPool.Create(2, dataFormat: nchw, name: "pool1").Call(Activations.Relu(n1))
               from c2 in Conv2D.Create(64, 3, withBias: false, dataFormat: nchw, name: "conv2").Call(p1)
               from n2 in BatchNorm.Create(dataFormat: nchw, name: "bn2").Call(c2, training)
               from p2 in MaxPool.Create(2, dataFormat: nchw, name: "pool2").Call(Activations.Relu(n2))
               from d1 in Hk.Dropout(0.1, p2, training)
               from h in Linear.Create(128, name: "dense").Call(d1.flatten(1))
               from d2 in Hk.Dropout(0.3, Activations.Relu(h), training)
               from logits in Linear.Create(10, name: "logits").Call(d2)
               select logits;
    }

    /// <summary>
    /// A small ResNet v1 from the library's <see cref="Nets.ResNet"/> for 28×28 grey images: Haiku's network with a
    /// 3×3 stride-1 initial convolution of 8 channels (instead of ImageNet's 7×7 stride 2 of 64), its 3×3 stride-2
    /// max pool (28 → 14), one basic block per stage with 8, 16, 32, 64 channels (narrow, for 2 shared CPU cores) and strides 1, 2, 2, 2
    /// (14 → 14 → 7 → 4 → 2), the spatial mean and a dense layer of 10 (zero-initialised, as Haiku).
    /// </summary>
    /// <param name="input">Images [B, 1, 28, 28] and the training flag.</param>
    /// <returns>Logits [B, 10].</returns>
    public static Model<Tensor> ResNet(ModelInput input) =>
        from net in Nets.ResNet.Create(blocksPerGroup: [1, 1, 1, 1], numClasses: 10, bottleneck: false,
            channelsPerGroup: [8, 16, 32, 64], useProjection: [false, true, true, true],
            initialConv: new ResNetInitialConv(OutputChannels: 8, KernelSize: 3, Stride: 1), name: "resnet")
        from logits in net.Call(input.Images.permute(0, 2, 3, 1), input.IsTraining)   // NCHW → NHWC (Haiku's layout)
        select logits;
}
