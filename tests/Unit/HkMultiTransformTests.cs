using MiniHaiku.Layers;
using Linear = MiniHaiku.Layers.Linear;

namespace MiniHaiku.Tests;

/// <summary>Hk.MultiTransform(WithState) and the transform adapters (WithoutApplyRng, WithoutState, WithEmptyState).</summary>
public class HkMultiTransformTests
{
    private sealed record AutoEncoder(Func<Tensor, Model<Tensor>> Encode, Func<Tensor, Model<Tensor>> Decode);

    private static MultiTransformed<AutoEncoder> Ae() => Hk.MultiTransform(() =>
        from enc in Linear.Create(2, name: "enc")
        from dec in Linear.Create(3, name: "dec")
        let fns = new AutoEncoder(enc.Call, dec.Call)
        select (fns, Hk.InitAll(from z in fns.Encode(zeros(1, 3)) from y in fns.Decode(z) select y)));

    [Fact]
    public void EncoderAndDecoderShareOneParameterSet()
    {
        var ae = Ae();
        var p = ae.Init(0);
        Assert.Equal(["~/dec/__call__/b", "~/dec/__call__/w", "~/enc/__call__/b", "~/enc/__call__/w"], p.Keys);
        var x = torch.randn(4, 3, generator: new torch.Generator(1));
        var z = ae.Apply(f => f.Encode, p, x);
        Assert.Equal([4L, 2L], z.shape);
        Assert.True(z.allclose(x.matmul(p["~/enc/__call__/w"]) + p["~/enc/__call__/b"]));
        var y = ae.Apply(f => f.Decode, p, z);
        Assert.True(y.allclose(z.matmul(p["~/dec/__call__/w"]) + p["~/dec/__call__/b"]));
        // The parameters are those a single transform of the whole autoencoder would create.
        var whole = Hk.Transform((Tensor v) =>
            from enc in Linear.Create(2, name: "enc") from zz in enc.Call(v)
            from dec in Linear.Create(3, name: "dec") from yy in dec.Call(zz) select yy);
        Assert.True(p.BitwiseEquals(whole.Init(0, zeros(1, 3))));
    }

    [Fact]
    public void ApplyFreesWhatTheFunctionMakesAndDoesNotReturn()
    {
        var seen = new List<Tensor>();
        var m = Hk.MultiTransform(() =>
            from enc in Linear.Create(2, name: "enc")
            let fns = (Encode: (Func<Tensor, Model<Tensor>>)(x => from h in enc.Call(x) select Activations.Relu(Keep(seen, h))), Unused: 0)
            select (fns, Hk.InitAll(fns.Encode(zeros(1, 3)))));
        var p = m.Init(0);
        Assert.True(seen.Single().IsInvalid, "Init's forward pass is freed");
        Assert.All(p.Values, t => Assert.False(t.IsInvalid));
        seen.Clear();
        using var x = torch.ones(4, 3);
        var z = m.Apply(f => f.Encode, p, x);
        Assert.False(z.IsInvalid);
        Assert.True(seen.Single().IsInvalid, "the pre-activation is not returned");
    }

    private static Tensor Keep(List<Tensor> seen, Tensor t)
    {
        seen.Add(t);
        return t;
    }

    [Fact]
    public void MultiTransformWithStateThreadsState()
    {
        var m = Hk.MultiTransformWithState(() =>
            from norm in BatchNorm.Create(name: "bn")
            let fns = (Train: (Func<Tensor, Model<Tensor>>)(x => norm.Call(x, isTraining: true)), Eval: (Func<Tensor, Model<Tensor>>)(x => norm.Call(x, isTraining: false)))
            select (fns, Hk.InitAll(fns.Train(zeros(2, 3)))));
        var (p, s) = m.InitWithState(0);
        Assert.Contains(s.Keys, k => k.StartsWith("~/bn/", StringComparison.Ordinal));
        var x = torch.randn(8, 3, generator: new torch.Generator(2)) * 3 + 1;
        var (_, s1) = m.ApplyWithState(f => f.Train, p, s, x);
        Assert.False(s1.BitwiseEquals(s));
        var (y, s2) = m.ApplyWithState(f => f.Eval, p, s1, x);
        Assert.True(s2.BitwiseEquals(s1));
        Assert.Equal([8L, 3L], y.shape);
    }

    [Fact]
    public void AdaptersBetweenTheStatelessAndStatefulSignatures()
    {
        var plain = Hk.Transform((Tensor x) => from l in Linear.Create(2) from y in l.Call(x) select y);
        var (init, apply) = plain.WithoutApplyRng();
        var p = init(0, ones(1, 3));
        Assert.True(apply(p, ones(1, 3)).Equals(plain.Apply(p, ones(1, 3))));

        var withState = plain.WithEmptyState();
        var (p2, s) = withState.Init(0, ones(1, 3));
        Assert.Empty(s);
        Assert.True(p2.BitwiseEquals(p));
        var (y, s2) = withState.Apply(p2, s, ones(1, 3));
        Assert.Empty(s2);
        Assert.True(y.Equals(plain.Apply(p, ones(1, 3))));

        var stateless = Hk.TransformWithState((Tensor x) => from l in Linear.Create(2) from y in l.Call(x) select y).WithoutState();
        Assert.True(stateless.Apply(stateless.Init(0, ones(1, 3)), ones(1, 3)).Equals(plain.Apply(p, ones(1, 3))));
        // WithoutState of a model that does use state is the usual error.
        var counting = Hk.TransformWithState((int _) => Hk.GetState("c", [], Initializers.Zeros())).WithoutState();
        Assert.Throws<StatefulTransformRequiredException>(() => counting.Init(0, 0));
        // WithEmptyState keeps a plain model stateless.
        var sneaky = Hk.Transform((int _) => Hk.GetState("c", [], Initializers.Zeros())).WithEmptyState();
        Assert.Throws<StatefulTransformRequiredException>(() => sneaky.Init(0, 0));
    }
}
