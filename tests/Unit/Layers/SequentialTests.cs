using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class SequentialTests
{
    private static Transformed<Tensor, Tensor> Model() => Hk.Transform((Tensor x) =>
        Sequential.Create([
            v => Linear.Create(5).Call(v),
            v => Hk.Pure(Activations.Tanh(v)),
            v => Linear.Create(2).Call(v),
        ]).Call(x));

    [Fact]
    public void LayersAreNamedInsideTheSequential()
    {
        var p = Model().Init(0, ones(3, 4));
        Assert.Equal(
            "{'~/Sequential_0/__call__/Linear_0/__call__/b': (5,), '~/Sequential_0/__call__/Linear_0/__call__/w': (4, 5), " +
            "'~/Sequential_0/__call__/Linear_1/__call__/b': (2,), '~/Sequential_0/__call__/Linear_1/__call__/w': (5, 2)}",
            p.Shapes().ToString());
    }

    [Fact]
    public void ComposesTheLayersInOrder()
    {
        var x = Random(1, 3, 4);
        var f = Model();
        var p = f.Init(2, x);
        const string s = "~/Sequential_0/__call__/";
        var h = torch.tanh(x.matmul(p[s + "Linear_0/__call__/w"]) + p[s + "Linear_0/__call__/b"]);
        AssertClose(h.matmul(p[s + "Linear_1/__call__/w"]) + p[s + "Linear_1/__call__/b"], f.Apply(p, x));
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var x = Random(3, 3, 4);
        var r = Random(4, 3, 2);
        var f = Model();
        AssertMatchesFiniteDifferences(f.Init(5, x), q => (f.Apply(q, x) * r).sum());
    }

    [Fact]
    public void EmptySequentialIsTheIdentity()
    {
        var x = randn(2, 2);
        Assert.Same(x, Hk.Transform((Tensor v) => Sequential.Create([]).Call(v)).Apply(Params.Empty, x));
    }
}
