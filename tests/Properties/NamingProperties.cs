using System.Collections.Concurrent;
using FsCheck;
using FsCheck.Xunit;
using MiniHaiku.Tests.Properties.Support;

namespace MiniHaiku.Tests.Properties;

/// <summary>Issue 2's naming rules, checked on random module trees against an independent model of them.</summary>
[Properties(Arbitrary = [typeof(TreeGenerators)], MaxTest = 60)]
public class NamingProperties
{
    [Property]
    public void InitCreatesExactlyThePathsTheNamingRulesPredict(Forest forest)
    {
        var p = ModuleTree.Transform(forest).Init(0, ModuleTree.Input());
        Assert.Equal(ModuleTree.PredictPaths(forest.Roots, "~").ToArray(), p.Keys.ToArray());
    }

    [Property]
    public void PathsAreAFunctionOfInstanceMethodAndNameAndUniquePerTriple(Forest forest)
    {
        var log = new ConcurrentQueue<ParamRequest>();
        var p = ModuleTree.Transform(forest).Init(0, ModuleTree.Input(log: log));
        foreach (var byTriple in log.GroupBy(r => (r.Instance, r.Method, r.Name)))
            Assert.Single(byTriple.Select(r => r.Path).Distinct());
        foreach (var byPath in log.GroupBy(r => r.Path))
            Assert.Single(byPath.Select(r => (r.Instance, r.Method, r.Name)).Distinct());
        Assert.Equal(p.Keys.ToHashSet(), log.Select(r => r.Path).ToHashSet());
    }

    [Property]
    public void CallingModulesSeveralTimesGivesTheParametersOfCallingThemOnce(Forest forest)
    {
        var many = ModuleTree.Transform(forest).Init(5, ModuleTree.Input());
        var once = ModuleTree.Transform(forest.CalledOnce()).Init(5, ModuleTree.Input());
        Assert.Equal(once.Keys, many.Keys);
        Assert.True(once.BitwiseEquals(many));
    }

    [Property]
    public void ApplyReadsExactlyTheKeysInitCreatedAfterRepeatedCalls(Forest forest)
    {
        var f = ModuleTree.Transform(forest);
        var p = f.Init(2, ModuleTree.Input());
        var (_, frame) = f.Function(ModuleTree.Input()).Run(Frame.ForApply(p));
        Assert.Equal(p.Keys.ToHashSet(), frame.ReadParams.ToHashSet());
    }
}
