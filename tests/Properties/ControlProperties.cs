using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MiniHaiku.Tests.Properties.Support;

namespace MiniHaiku.Tests.Properties;

/// <summary>Issue 3's control flow: Cond/Switch initialise every branch, Scan shares parameters, Lift prefixes exactly.</summary>
[Properties(Arbitrary = [typeof(TreeGenerators), typeof(ControlProperties.Generators)], MaxTest = 50)]
public class ControlProperties
{
    /// <summary>2..3 branches, each a forest of modules, and the index Init and Apply take.</summary>
    public sealed record Branches(ImmutableArray<Forest> Forests, int InitIndex, int ApplyIndex)
    {
        public override string ToString() => $"init={InitIndex} apply={ApplyIndex} " + string.Join(" | ", Forests);
    }

    public static class Generators
    {
        public static Arbitrary<Branches> Branches() =>
            (from n in Gen.Choose(2, 3)
             from fs in Gen.ListOf(TreeGenerators.SiblingsGen(2, 0).Select(r => new Forest(r)), n)
             from i in Gen.Choose(0, n - 1)
             from j in Gen.Choose(0, n - 1)
             select new Branches(fs.ToImmutableArray(), i, j)).ToArbitrary();
    }

    private static Model<Tensor> Branch(Forest f, TreeInput input) => ModuleTree.CreateAndCall(f.Roots, input, "branch");

    private static Model<Tensor> SwitchModel(Branches b, int index, TreeInput input) =>
        // A module before the switch and one after it: the switch must not disturb their names.
        from before in ModuleTree.CreateAndCall([Leaf(Kind.Alpha)], input, "before")
        from y in Hk.Switch(index, b.Forests.Select(f => Branch(f, input with { X = before })).ToArray())
        from after in ModuleTree.CreateAndCall([Leaf(Kind.Alpha)], input with { X = y }, "after")
        select after;

    private static Node Leaf(Kind kind) => new(kind, null, ["w"], [], [new Use(MethodKind.Call, 1)]);

    private static ImmutableSortedSet<string> PredictSwitch(Branches b, int? only = null)
    {
        var keys = ImmutableSortedSet.Create(StringComparer.Ordinal, "~/Alpha_0/__call__/w", "~/Alpha_1/__call__/w");
        for (var i = 0; i < b.Forests.Length; i++)
            if (only is null || only == i)
                keys = keys.Union(ModuleTree.PredictPaths(b.Forests[i].Roots, "~/Switch_0/case_" + i));
        return keys;
    }

    [Property]
    public void SwitchInitCreatesTheUnionOfAllBranchesWhicheverIndexIsTaken(Branches b)
    {
        var init = Hk.Transform((TreeInput x) => SwitchModel(b, b.InitIndex, x)).Init(4, ModuleTree.Input());
        var other = Hk.Transform((TreeInput x) => SwitchModel(b, (b.InitIndex + 1) % b.Forests.Length, x)).Init(4, ModuleTree.Input());
        Assert.Equal(PredictSwitch(b).ToArray(), init.Keys.ToArray());
        Assert.True(init.BitwiseEquals(other));
    }

    [Property]
    public void SwitchApplyReadsExactlyTheTakenBranchAndAcceptsInitsParams(Branches b)
    {
        var f = Hk.Transform((TreeInput x) => SwitchModel(b, b.ApplyIndex, x));
        var p = Hk.Transform((TreeInput x) => SwitchModel(b, b.InitIndex, x)).Init(4, ModuleTree.Input());
        var (value, frame) = f.Function(ModuleTree.Input()).Run(Frame.ForApply(p));
        Assert.Equal(PredictSwitch(b, only: b.ApplyIndex).ToArray(), frame.ReadParams.Order(StringComparer.Ordinal).ToArray());
        Assert.Subset(p.Keys.ToHashSet(), frame.ReadParams.ToHashSet());
        Assert.True(f.Apply(p, ModuleTree.Input()).Equals(value)); // strict Apply does not throw

        // Apply's output is the output of running only the chosen branch.
        var direct = Hk.Transform((TreeInput x) =>
            from before in ModuleTree.CreateAndCall([Leaf(Kind.Alpha)], x, "before")
            from y in Hk.Switch(0, [Branch(b.Forests[b.ApplyIndex], x with { X = before })])
            from after in ModuleTree.CreateAndCall([Leaf(Kind.Alpha)], x with { X = y }, "after")
            select after);
        var renamed = Params.Create(p.Where(kv => frame.ReadParams.Contains(kv.Key))
            .Select(kv => KeyValuePair.Create(kv.Key.Replace("/Switch_0/case_" + b.ApplyIndex + "/", "/Switch_0/case_0/"), kv.Value)));
        Assert.True(direct.Apply(renamed, ModuleTree.Input()).Equals(value));
    }

    [Property]
    public void CondInitCreatesBothBranchesAndApplyReadsOne(Branches b, bool initPredicate, bool applyPredicate)
    {
        Model<Tensor> M(bool pred, TreeInput x) => Hk.Cond(pred, Branch(b.Forests[0], x), Branch(b.Forests[1], x));
        var init = Hk.Transform((TreeInput x) => M(initPredicate, x)).Init(9, ModuleTree.Input());
        var expected = ModuleTree.PredictPaths(b.Forests[0].Roots, "~/Cond_0/when_true")
            .Union(ModuleTree.PredictPaths(b.Forests[1].Roots, "~/Cond_0/when_false"));
        Assert.Equal(expected.ToArray(), init.Keys.ToArray());
        Assert.True(init.BitwiseEquals(Hk.Transform((TreeInput x) => M(!initPredicate, x)).Init(9, ModuleTree.Input())));

        var f = Hk.Transform((TreeInput x) => M(applyPredicate, x));
        var (_, frame) = f.Function(ModuleTree.Input()).Run(Frame.ForApply(init));
        var taken = applyPredicate
            ? ModuleTree.PredictPaths(b.Forests[0].Roots, "~/Cond_0/when_true")
            : ModuleTree.PredictPaths(b.Forests[1].Roots, "~/Cond_0/when_false");
        Assert.Equal(taken.ToArray(), frame.ReadParams.Order(StringComparer.Ordinal).ToArray());
        f.Apply(init, ModuleTree.Input());
    }

    [Property]
    public void ScanOfNStepsHasTheParametersOfOneStep(Forest body, PositiveInt steps)
    {
        var n = Math.Min(steps.Get, 6);
        Transformed<TreeInput, Tensor> Scan(int count) => Hk.Transform((TreeInput x) =>
            Hk.Scan((Tensor carry, int i) => ModuleTree.CreateAndCall(body.Roots, x with { X = carry }, "scan")
                    .Select(y => (y, y.sum())),
                x.X, Enumerable.Range(0, count))
            .Select(r => r.Carry));
        var one = Scan(1).Init(6, ModuleTree.Input());
        var many = Scan(n).Init(6, ModuleTree.Input());
        Assert.Equal(ModuleTree.PredictPaths(body.Roots, "~").ToArray(), many.Keys.ToArray());
        Assert.True(one.BitwiseEquals(many));
        // Apply of n steps reads every shared parameter and accepts the parameters of a 1-step Init.
        Scan(n).Apply(one, ModuleTree.Input());
    }

    [Property]
    public void RepeatAndFoldShareParametersAcrossStepsAndKeepLaterNamesStable(Forest body, PositiveInt steps)
    {
        var n = Math.Min(steps.Get, 5);
        var again = body.Roots.Select(r => r with { ExplicitName = null }).ToImmutableArray();
        Transformed<TreeInput, Tensor> Loop(int count, bool fold) => Hk.Transform((TreeInput x) =>
            from y in fold
                ? Hk.Fold(Enumerable.Range(0, count), x.X, (c, _) => ModuleTree.CreateAndCall(body.Roots, x with { X = c }, "loop"))
                : Hk.Repeat(count, (_, c) => ModuleTree.CreateAndCall(body.Roots, x with { X = c }, "loop"), x.X)
            from z in ModuleTree.CreateAndCall(again, x with { X = y }, "after") // modules of the same types after the loop
            select z);
        var expected = ModuleTree.PredictPaths(body.Roots.AddRange(again), "~").ToArray();
        foreach (var fold in new[] { false, true })
        {
            var one = Loop(1, fold).Init(8, ModuleTree.Input());
            var many = Loop(n, fold).Init(8, ModuleTree.Input());
            Assert.Equal(expected, many.Keys.ToArray());
            Assert.True(one.BitwiseEquals(many));
        }
    }

    /// <summary>A module that runs a lifted model inside its <c>Call</c>.</summary>
    public sealed record Host(ModuleName Name, Func<TreeInput, Model<Tensor>> Inner) : Module(Name)
    {
        public Model<Tensor> Call(TreeInput x) => Method(Inner(x));
    }

    [Property]
    public void LiftPrefixesInnerKeysExactlyAtAnyNestingDepth(Forest inner, PositiveInt depthArg, bool inModule)
    {
        var depth = Math.Min(depthArg.Get, 3);
        var innermost = ModuleTree.Transform(inner);
        var innerKeys = innermost.Init(1, ModuleTree.Input()).Keys.ToArray();

        // Lift the model into another transformed model `depth` times, under names lift0, lift1, ...
        var current = innermost;
        var prefix = "";
        for (var d = 0; d < depth; d++)
        {
            var lifted = Hk.Lift(current, "lift" + d);
            current = Hk.Transform(lifted);
            prefix = "/lift" + d + prefix;
        }
        var outer = inModule
            ? Hk.Transform((TreeInput x) => from h in Hk.Module(n => new Host(n, current.Function)) from y in h.Call(x) select y)
            : current;
        var scope = inModule ? "~/Host_0/__call__" : "~";
        var outerKeys = outer.Init(1, ModuleTree.Input()).Keys.ToArray();
        Assert.Equal(innerKeys.Select(k => scope + prefix + k[1..]).Order(StringComparer.Ordinal).ToArray(), outerKeys);

        // Apply reads them back, and equals the inner model applied to the same values under their inner names.
        var p = outer.Init(1, ModuleTree.Input());
        var unprefixed = Params.Create(p.Select(kv => KeyValuePair.Create("~" + kv.Key[(scope + prefix).Length..], kv.Value)));
        Assert.True(outer.Apply(p, ModuleTree.Input()).Equals(innermost.Apply(unprefixed, ModuleTree.Input())));
    }
}
