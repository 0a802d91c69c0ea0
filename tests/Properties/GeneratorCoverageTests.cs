using FsCheck.Fluent;
using MiniHaiku.Tests.Properties.Support;

namespace MiniHaiku.Tests.Properties;

/// <summary>The tree generator really produces the shapes the properties are about (so they are not vacuous).</summary>
public class GeneratorCoverageTests
{
    [Fact]
    public void GeneratedForestsCoverDepthNamesRepeatsAndBothMethods()
    {
        var sample = TreeGenerators.ForestGen().Sample(200, 10);
        static IEnumerable<(Node Node, int Depth)> All(Forest f)
        {
            IEnumerable<(Node, int)> Walk(IEnumerable<Node> ns, int d) => ns.SelectMany(n => new[] { (n, d) }.Concat(Walk(n.Children, d + 1)));
            return Walk(f.Roots, 1);
        }
        var nodes = sample.SelectMany(All).ToList();
        Assert.All(sample, f => Assert.True(f.DistinctKinds() >= 2));
        Assert.All(nodes, n => Assert.InRange(n.Depth, 1, 3));
        Assert.All(nodes, n => Assert.InRange(n.Node.Children.Length, 0, 3));
        Assert.Contains(nodes, n => n.Depth == 3);
        Assert.Contains(nodes, n => n.Node.ExplicitName is not null);
        Assert.Contains(nodes, n => n.Node.Uses.Sum(u => u.Times) > 1 && !n.Node.Children.IsEmpty); // parents called several times
        Assert.Contains(nodes, n => n.Node.Uses.Select(u => u.Method).Distinct().Count() == 2);
        Assert.Contains(nodes, n => n.Node.Children.GroupBy(c => c.Kind).Any(g => g.Count() > 1)); // siblings of one type
        Assert.True(sample.Count(f => f.CountNodes() >= 5) > 50, "most forests should have several modules");
    }

    [Fact]
    public void MixedForestsUseEveryControlFlowWrapper()
    {
        var wraps = TreeGenerators.MixedForestGen().Sample(200, 10)
            .SelectMany(f => f.Forest.ListAddresses().Count() > 0 ? Flatten(f.Forest.Roots) : [])
            .Select(n => n.Wrap).ToHashSet();
        Assert.Equal(Enum.GetValues<Wrap>().ToHashSet(), wraps);

        static IEnumerable<Node> Flatten(IEnumerable<Node> ns) => ns.SelectMany(n => new[] { n }.Concat(Flatten(n.Children)));
    }
}
