using MiniHaiku.Layers;

namespace MiniHaiku.Tests.Docs;

/// <summary>The README's "Layers and training" CNN, compiled and run as written there.</summary>
public class ReadmeExampleTests
{
    [Fact]
    public void ReadmeCnnInitialisesTrainsAndEvaluates()
    {
        var cnn = Hk.TransformWithState(((Tensor X, bool IsTraining) b) =>
            from h1 in Conv2D.Create(32, 3).Call(b.X)                     // NHWC by default, as in Haiku
            from n1 in BatchNorm.Create().Call(h1, b.IsTraining)          // moving averages live in state
            from p1 in MaxPool.Create(2, 2).Call(Activations.Relu(n1))
            from f in Flatten.Create().Call(p1)
            from d in Hk.Dropout(0.3, f, b.IsTraining)                    // keyed masks: Apply(…, seed)
            from logits in Linear.Create(10).Call(d)
            select logits);

        using var g = new torch.Generator(3);
        var x = torch.rand([4, 8, 8, 1], generator: g);
        var (p, s) = cnn.Init(0, (x, true));
        Assert.Equal(
            ["~/BatchNorm_0/__call__/offset", "~/BatchNorm_0/__call__/scale", "~/Conv2D_0/__call__/b", "~/Conv2D_0/__call__/w",
             "~/Linear_0/__call__/b", "~/Linear_0/__call__/w"],
            p.Keys.ToArray());
        Assert.Equal(2, s.Count);
        var (train, s1) = cnn.Apply(p, s, (x, true), seed: 1);
        Assert.Equal([4L, 10L], train.shape);
        Assert.False(s1.BitwiseEquals(s)); // training moved the moving averages
        var (eval, s2) = cnn.Apply(p, s1, (x, false));
        Assert.Equal([4L, 10L], eval.shape);
        Assert.True(s2.BitwiseEquals(s1)); // evaluation leaves state alone
    }
}
