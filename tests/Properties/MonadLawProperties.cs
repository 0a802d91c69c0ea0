using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MiniHaiku.Tests.Properties.Support;

namespace MiniHaiku.Tests.Properties;

/// <summary>
/// The monad laws for <see cref="Model{T}"/>, compared on the value and on everything the run leaves in the
/// frame (parameters, state, first state values, random key, parameters read), during Init and Apply. The
/// models ask for parameters (names depending on the bound value), draw keys, create modules and set state.
/// </summary>
[Properties(Arbitrary = [typeof(MonadLawProperties.Programs)], MaxTest = 100)]
public class MonadLawProperties
{
    /// <summary>A small model, chosen by <see cref="Code"/>, whose behaviour also depends on the value it is bound to.</summary>
    public sealed record Prog(int Code, int Arg)
    {
        public Model<double> Build(double a) => Code switch
        {
            0 => Hk.Pure(a * 0.5 + Arg),
            1 => Hk.GetParam("p" + Bucket(a), [2]).Select(t => t.sum().item<float>() + a),
            2 => Hk.NextRngKey().Select(k => (double)(k.Lo % 997) + a),
            3 => from m in Hk.Module(n => new Alpha(n, Leaf, "law"))
                 from y in m.Call(new TreeInput(torch.tensor(new[] { (float)a, (float)a })))
                 select (double)y.sum().item<float>(),
            4 => Hk.SetState("s" + Bucket(a), torch.tensor((float)a)).Select(t => (double)t.item<float>() + Arg),
            _ => from s in Hk.GetState("s" + Bucket(a), [], Initializers.Constant(Arg))
                 from k in Hk.MaybeNextRngKey()
                 select s.item<float>() + (k is null ? 0.0 : 1.0),
        };

        private int Bucket(double a) => (int)(Math.Abs(Math.Floor(a)) % 3 + Arg) % 3;

        private static readonly Node Leaf = new(Kind.Alpha, null, ["w"], [], [new Use(MethodKind.Call, 1)]);
    }

    public static class Programs
    {
        public static Arbitrary<Prog> Prog() =>
            (from c in Gen.Choose(0, 5) from a in Gen.Choose(-3, 3) select new Prog(c, a)).ToArbitrary();
    }

    private static Model<double> Chain(Prog first, Prog second) => first.Build(0).SelectMany(second.Build);

    private static void AssertSameRun(Model<double> left, Model<double> right, long seed)
    {
        var (lv, lf) = left.Run(Frame.ForInit(seed, withState: true));
        var (rv, rf) = right.Run(Frame.ForInit(seed, withState: true));
        Assert.Equal(lv, rv);
        Assert.True(lf.Params.BitwiseEquals(rf.Params));
        Assert.True(lf.State.BitwiseEquals(rf.State));
        Assert.True(lf.InitialState.BitwiseEquals(rf.InitialState));
        Assert.Equal(lf.Rng, rf.Rng);
        Assert.Equal(lf.CurrentScope.Path, rf.CurrentScope.Path);

        // And under Apply, reading what Init created, with the same key sequence (so it replays Init).
        var key = RngKey.FromSeed(seed);
        var (av, af) = left.Run(Frame.ForApply(lf.Params, lf.InitialState, key, withState: true));
        var (bv, bf) = right.Run(Frame.ForApply(lf.Params, lf.InitialState, key, withState: true));
        Assert.Equal(av, bv);
        Assert.Equal(af.ReadParams.Order(StringComparer.Ordinal), bf.ReadParams.Order(StringComparer.Ordinal));
        Assert.True(af.State.BitwiseEquals(bf.State));
        Assert.Equal(af.Rng, bf.Rng);
    }

    [Property]
    public void LeftIdentity(Prog pre, Prog f, int a, long seed)
    {
        // Pure(a) >>= f  ≡  f(a)   (pre runs first on both sides so the frame is not empty)
        var left = pre.Build(0).SelectMany(_ => Hk.Pure((double)a).SelectMany(f.Build));
        var right = pre.Build(0).SelectMany(_ => f.Build(a));
        AssertSameRun(left, right, seed);
    }

    [Property]
    public void RightIdentity(Prog m, Prog n, long seed)
    {
        // m >>= Pure  ≡  m
        var model = Chain(m, n);
        AssertSameRun(model.SelectMany(Hk.Pure), model, seed);
    }

    [Property]
    public void Associativity(Prog m, Prog f, Prog g, long seed)
    {
        // (m >>= f) >>= g  ≡  m >>= (x => f(x) >>= g)
        var left = m.Build(1).SelectMany(f.Build).SelectMany(g.Build);
        var right = m.Build(1).SelectMany(x => f.Build(x).SelectMany(g.Build));
        AssertSameRun(left, right, seed);
    }

    [Property]
    public void SelectIsBindFollowedByPure(Prog m, long seed)
    {
        // m.Select(h) ≡ m >>= (x => Pure(h(x))); and the 3-argument SelectMany agrees with nested binds.
        Func<double, double> h = x => x * 3 - 1;
        AssertSameRun(m.Build(2).Select(h), m.Build(2).SelectMany(x => Hk.Pure(h(x))), seed);
        var query = from x in m.Build(2) from y in m.Build(x) select x - y;
        var nested = m.Build(2).SelectMany(x => m.Build(x).SelectMany(y => Hk.Pure(x - y)));
        AssertSameRun(query, nested, seed);
    }
}
