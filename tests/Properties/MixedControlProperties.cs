using FsCheck.Xunit;
using MiniHaiku.Tests.Properties.Support;

namespace MiniHaiku.Tests.Properties;

/// <summary>
/// Random module trees whose methods run their children through Hk.Cond (taken or not), Hk.Repeat or
/// Hk.Lift, checked against the same independent naming model extended with those combinators' scopes.
/// </summary>
[Properties(Arbitrary = [typeof(TreeGenerators)], MaxTest = 60)]
public class MixedControlProperties
{
    [Property]
    public void InitCreatesThePredictedPathsAndApplyReadsThePredictedSubset(MixedForest mixed)
    {
        var forest = mixed.Forest;
        var f = ModuleTree.Transform(forest);
        var p = f.Init(0, ModuleTree.Input());
        Assert.Equal(ModuleTree.PredictPaths(forest.Roots, "~").ToArray(), p.Keys.ToArray());
        var (value, frame) = f.Function(ModuleTree.Input()).Run(Frame.ForApply(p));
        Assert.Equal(ModuleTree.PredictReads(forest.Roots, "~").ToArray(), frame.ReadParams.Order(StringComparer.Ordinal).ToArray());
        Assert.True(f.Apply(p, ModuleTree.Input()).Equals(value)); // strict Apply accepts Init's output
    }

    [Property]
    public void CallingModulesSeveralTimesGivesTheParametersOfCallingThemOnce(MixedForest mixed)
    {
        var many = ModuleTree.Transform(mixed.Forest).Init(5, ModuleTree.Input());
        var once = ModuleTree.Transform(mixed.Forest.CalledOnce()).Init(5, ModuleTree.Input());
        Assert.True(once.BitwiseEquals(many));
    }

    [Property]
    public void InitIsDeterministicAndApplyDoesNotMutateParameters(MixedForest mixed)
    {
        var f = ModuleTree.Transform(mixed.Forest);
        var p = f.Init(7, ModuleTree.Input());
        Assert.True(p.BitwiseEquals(f.Init(7, ModuleTree.Input())));
        var copy = p.Map(t => t.clone());
        f.Apply(p, ModuleTree.Input());
        Assert.True(p.BitwiseEquals(copy));
    }

    [Property]
    public void StateCountsEveryInvocationThroughCondRepeatAndLift(MixedForest mixed)
    {
        var forest = mixed.Forest;
        var f = Hk.TransformWithState(ModuleTree.Function(forest));
        var (p, s0) = f.Init(3, ModuleTree.Input(useState: true));
        var scopes = ModuleTree.PredictScopes(forest.Roots, "~", 1)
            .ToDictionary(s => s.Path + "/" + (s.Method == MethodKind.Call ? "__call__" : "Encode") + "/count", s => s.Invocations);
        Assert.Equal(scopes.Keys.Order(StringComparer.Ordinal), s0.Keys);
        Assert.All(s0.Values, t => Assert.Equal(0f, t.item<float>()));
        var (_, s1) = f.Apply(p, s0, ModuleTree.Input(useState: true));
        var (_, s2) = f.Apply(p, s1, ModuleTree.Input(useState: true));
        foreach (var (path, calls) in scopes)
        {
            Assert.Equal((float)calls, s1[path].item<float>());
            Assert.Equal((float)(2 * calls), s2[path].item<float>());
        }
    }
}
