using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MiniHaiku.Tests.Properties.Support;

namespace MiniHaiku.Tests.Properties;

/// <summary>Issue 14's laws: identity interceptors change nothing, multi_transform shares exactly the union of
/// parameters, remat gradients equal plain gradients, eval_shape gives Init's shapes.</summary>
[Properties(Arbitrary = [typeof(TreeGenerators)], MaxTest = 40)]
public class ToolboxProperties
{
    private static Model<T> Identities<T>(Model<T> m) =>
        Hk.CustomCreator((ctx, next) => next(ctx),
            Hk.CustomGetter((ctx, next) => next(ctx),
                Hk.CustomSetter((ctx, value, next) => next(value),
                    Hk.InterceptMethods((ctx, next) => next, m))));

    [Property]
    public void IdentityInterceptorsAreANoOp(Forest forest, bool useState, long seed)
    {
        var plain = Hk.TransformWithState(ModuleTree.Function(forest));
        var intercepted = Hk.TransformWithState((TreeInput i) => Identities(ModuleTree.Function(forest)(i)));
        var (p, s) = plain.Init(seed, ModuleTree.Input(useState));
        var (pi, si) = intercepted.Init(seed, ModuleTree.Input(useState));
        Assert.True(p.BitwiseEquals(pi));
        Assert.True(s.BitwiseEquals(si));
        var (y, s1) = plain.Apply(p, s, ModuleTree.Input(useState));
        var (yi, s1i) = intercepted.Apply(p, s, ModuleTree.Input(useState));
        Assert.True(y.Equals(yi));
        Assert.True(s1.BitwiseEquals(s1i));
    }

    [Property]
    public void MultiTransformSharesExactlyTheUnionOfTheParameters(Forest a, Forest b, long seed)
    {
        // Two functions built in one template, each in its own name scope; Init creates the union of what
        // each creates alone, and applying one reads exactly its own parameters.
        Func<TreeInput, Model<Tensor>> fa = i => Hk.NameScope("a", ModuleTree.Function(a)(i));
        Func<TreeInput, Model<Tensor>> fb = i => Hk.NameScope("b", ModuleTree.Function(b)(i));
        var m = Hk.MultiTransform(() => Hk.Pure(((A: fa, B: fb),
            Hk.InitAll(from ya in fa(ModuleTree.Input()) from yb in fb(ModuleTree.Input()) select yb))));
        var pa = Hk.Transform((TreeInput i) => Hk.NameScope("a", ModuleTree.Function(a)(i))).Init(seed, ModuleTree.Input());
        var pb = Hk.Transform((TreeInput i) => Hk.NameScope("b", ModuleTree.Function(b)(i))).Init(seed, ModuleTree.Input());
        var p = m.Init(seed);
        Assert.Equal(pa.Keys.Concat(pb.Keys).Order(StringComparer.Ordinal), p.Keys);
        Assert.True(p.Where(k => k.StartsWith("~/a/", StringComparison.Ordinal)).BitwiseEquals(pa));
        var ya = m.Apply(f => f.A, p, ModuleTree.Input());
        Assert.True(ya.Equals(Hk.Transform((TreeInput i) => Hk.NameScope("a", ModuleTree.Function(a)(i))).Apply(pa, ModuleTree.Input())));
    }

    [Property]
    public void EvalShapeGivesInitsShapes(Forest forest)
    {
        var f = ModuleTree.Transform(forest);
        var shapes = Hk.EvalShape(f, new TreeInput(torch.empty(2, device: torch.META)));
        Assert.Equal(f.Init(0, ModuleTree.Input()).Shapes(), shapes.Shapes);
        Assert.Equal([2L], shapes.Output.shape);
    }

    [Property(MaxTest = 15)]
    public void RematGradientsEqualPlainGradients(PositiveInt depthSeed, PositiveInt widthSeed, int seed)
    {
        var depth = 1 + depthSeed.Get % 4;
        var width = 1 + widthSeed.Get % 6;
        Model<Tensor> Block(Tensor x) =>
            from w in Hk.GetParam("w", [width, width])
            from key in Hk.NextRngKey()
            select torch.tanh(x.matmul(w)) * key.Bernoulli(0.5, [width]).to_type(ScalarType.Float32);
        Func<Tensor, Model<Tensor>> Net(bool remat) => x =>
            Hk.Aggregate(Enumerable.Range(0, depth), x, (h, i) => Hk.NameScope("block" + i, (remat ? Hk.Remat(Block) : Block)(h)))
              .Select(h => h.square().sum());
        var plain = Hk.Transform(Net(false));
        var rematted = Hk.Transform(Net(true));
        var x = torch.randn(3, width, generator: new torch.Generator((ulong)(uint)seed));
        var p = plain.Init(seed, x);
        var (v1, g1) = Grad.ValueAndGrad(q => plain.Apply(q, x, seed))(p);
        var (v2, g2) = Grad.ValueAndGrad(q => rematted.Apply(q, x, seed))(p);
        Assert.True(v1.allclose(v2, rtol: 1e-5, atol: 1e-6));
        foreach (var (path, g) in g1) Assert.True(g.allclose(g2[path], rtol: 1e-4, atol: 1e-6), path);
    }
}
