using MiniHaiku.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.DistributedBench;

/// <summary>The models of bench/MiniHaiku.Benchmarks' train-step rows (same shapes), for a like-for-like step.</summary>
internal static class Models
{
    /// <summary>784-256-128-10 MLP with ReLU.</summary>
    public static Model<Tensor> Mlp(Tensor images)
    {
        var x = images.flatten(1);
        return from h1 in Linear.Create(256).Call(x)
               from h2 in Linear.Create(128).Call(Activations.Relu(h1))
               from logits in Linear.Create(10).Call(Activations.Relu(h2))
               select logits;
    }

    /// <summary>conv3x3(32)-BN-ReLU-maxpool2, conv3x3(64)-BN-ReLU-maxpool2, dropout 0.1, dense 128-ReLU, dropout 0.3, dense 10.</summary>
    public static Model<Tensor> Cnn((Tensor X, bool Training) input)
    {
        var (x, training) = input;
        return from c1 in Conv2D.Create(32, 3, withBias: false, dataFormat: DataFormat.ChannelsFirst).Call(x)
               from n1 in BatchNorm.Create(dataFormat: DataFormat.ChannelsFirst).Call(c1, training)
               from p1 in MaxPool.Create(2, dataFormat: DataFormat.ChannelsFirst).Call(Activations.Relu(n1))
               from c2 in Conv2D.Create(64, 3, withBias: false, dataFormat: DataFormat.ChannelsFirst).Call(p1)
               from n2 in BatchNorm.Create(dataFormat: DataFormat.ChannelsFirst).Call(c2, training)
               from p2 in MaxPool.Create(2, dataFormat: DataFormat.ChannelsFirst).Call(Activations.Relu(n2))
               from d1 in Hk.Dropout(0.1, p2, training)
               from h in Linear.Create(128).Call(d1.flatten(1))
               from d2 in Hk.Dropout(0.3, Activations.Relu(h), training)
               from logits in Linear.Create(10).Call(d2)
               select logits;
    }
}
