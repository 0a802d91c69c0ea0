using FsCheck;
using FsCheck.Xunit;
using MiniHaiku.Tests.Properties.Support;

namespace MiniHaiku.Tests.Properties;

/// <summary>State round trip: every module method increments a <c>count</c> state; Init→Apply→Apply counts exactly.</summary>
[Properties(Arbitrary = [typeof(TreeGenerators)], MaxTest = 50)]
public class StateProperties
{
    [Property]
    public void StateRoundTripCountsEveryInvocation(Forest forest, PositiveInt appliesArg)
    {
        var applies = Math.Min(appliesArg.Get, 4);
        var f = Hk.TransformWithState(ModuleTree.Function(forest));
        var (p, s0) = f.Init(3, ModuleTree.Input(useState: true));

        var scopes = ModuleTree.PredictScopes(forest.Roots, "~", 1)
            .ToDictionary(s => s.Path + "/" + (s.Method == MethodKind.Call ? "__call__" : "Encode") + "/count", s => s.Invocations);
        Assert.Equal(scopes.Keys.Order(StringComparer.Ordinal), s0.Keys);
        // Init returns the first value each state took: the zeros GetState created, not the incremented value.
        Assert.All(s0.Values, t => Assert.Equal(0f, t.item<float>()));

        var frozen = p.Map(t => t.clone());
        var state = s0;
        for (var k = 1; k <= applies; k++)
        {
            var before = state.Map(t => t.clone());
            var (_, next) = f.Apply(p, state, ModuleTree.Input(useState: true));
            Assert.Equal(state.Keys, next.Keys);
            foreach (var (path, calls) in scopes) Assert.Equal((float)(k * calls), next[path].item<float>());
            Assert.True(state.BitwiseEquals(before)); // the state passed in is not mutated
            state = next;
        }
        Assert.True(p.BitwiseEquals(frozen)); // parameters stay frozen during Apply
    }
}
