using Linear = MiniHaiku.Tests.Support.Linear;

namespace MiniHaiku.Tests;

/// <summary>Hk.NameScope, ForceName, LiftWithState, TransparentLift(WithState), ParamsDict and StateDict.</summary>
public class HkScopesTests
{
    private static Model<Tensor> Dense(Tensor x, int width, string? name = null) =>
        from l in Linear.Create(width, name) from y in l.Call(x) select y;

    [Fact]
    public void NameScopeNestsParametersWithoutAModule()
    {
        var f = Hk.Transform((Tensor x) =>
            from a in Hk.NameScope("encoder/block", Dense(x, 2))
            from b in Hk.NameScope("encoder/block", Hk.GetParam("scale", [1], Initializers.Ones()))
            from c in Dense(x, 2)
            select a * b + c);
        var p = f.Init(0, ones(1, 3));
        Assert.Equal(["~/Linear_0/__call__/W", "~/Linear_0/__call__/b",
                      "~/encoder/block/Linear_0/__call__/W", "~/encoder/block/Linear_0/__call__/b", "~/encoder/block/scale"], p.Keys);
        Assert.Equal([1L, 2L], f.Apply(p, ones(1, 3)).shape);
        Assert.Throws<ModuleNameException>(() => Hk.NameScope("bad name", Hk.Pure(0)));
        Assert.Throws<ModuleNameException>(() => Hk.NameScope("a//b", Hk.Pure(0)));
    }

    [Fact]
    public void ForceNameReusesTheParametersOfAModuleByPath()
    {
        var f = Hk.Transform((Tensor x) =>
            from enc in Linear.Create(3, "encoder")
            from y1 in enc.Call(x)
            from again in Hk.ForceName(n => new Linear(n, 3), enc.Name.Path)
            from inner in Hk.NameScope("elsewhere", again.Call(y1))
            select inner);
        var p = f.Init(0, ones(1, 3));
        Assert.Equal(["~/encoder/__call__/W", "~/encoder/__call__/b"], p.Keys);
        var w = p["~/encoder/__call__/W"];
        var b = p["~/encoder/__call__/b"];
        Assert.True(f.Apply(p, ones(1, 3)).allclose((ones(1, 3).matmul(w) + b).matmul(w) + b));
        var e = Assert.Throws<ModuleNameException>(() => Hk.ForceName(n => new Linear(n, 3), "encoder"));
        Assert.Contains("'encoder'", e.Message);
    }

    [Fact]
    public void TransparentLiftKeepsTheInnerNames()
    {
        var inner = Hk.Transform((Tensor x) => Dense(x, 2));
        var outer = Hk.Transform((Tensor x) => from y in Hk.TransparentLift(inner)(x) select y);
        var pi = inner.Init(0, ones(1, 3));
        var po = outer.Init(0, ones(1, 3));
        Assert.Equal(pi.Keys, po.Keys);
        // A pretrained inner checkpoint is used unchanged.
        Assert.True(outer.Apply(pi, ones(1, 3)).Equals(inner.Apply(pi, ones(1, 3))));
        var stateful = Hk.TransformWithState((int _) => from c in Hk.GetState("c", [], Initializers.Ones()) select c);
        var outerState = Hk.TransformWithState((int x) => Hk.TransparentLiftWithState(stateful)(x));
        Assert.Equal(["~/c"], outerState.Init(0, 0).State.Keys);
        var plainStateful = Hk.Transform((int _) => Hk.GetState("c", [], Initializers.Ones()));
        Assert.Throws<StatefulTransformRequiredException>(() => Hk.TransformWithState((int x) => Hk.TransparentLift(plainStateful)(x)).Init(0, 0));
    }

    [Fact]
    public void ParamsDictAndStateDictListAModulesOwnEntries()
    {
        var f = Hk.TransformWithState((Tensor x) =>
            from a in Linear.Create(2, "a")
            from y in a.Call(x)
            from b in Linear.Create(2, "b")
            from z in b.Call(y)
            from m in Hk.ToModule("Counter", (int _) => Hk.SetState("n", ones(1)))
            from n in m.Call(0)
            from pa in Hk.ParamsDict(a)
            from sm in Hk.StateDict(m)
            from sa in Hk.StateDict(a)
            select (Params: pa, State: sm, None: sa));
        var (p, s) = f.Init(0, ones(1, 3));
        var ((pa, sm, none), _) = f.Apply(p, s, ones(1, 3));
        Assert.Equal(["~/a/__call__/W", "~/a/__call__/b"], pa.Keys);
        Assert.Equal(["~/Counter_0/__call__/n"], sm.Keys);
        Assert.Empty(none);
    }
}
