using System.Collections.Immutable;
using MiniHaiku.Tests.Support;

namespace MiniHaiku.Tests;

/// <summary>Naming: unique module names per scope invocation, small and large name tables alike.</summary>
public class NamingTests
{
    private static Model<ImmutableList<string>> Create(IEnumerable<string?> names) =>
        Hk.Sequence(names.Select(n => Linear.Create(1, n).Select(l => l.Name.Name)));

    [Fact]
    public void AutomaticNamesCountPerTypeAndSkipExplicitOnesBeyondTheSmallTable()
    {
        // 30 modules in one scope: past the small table's size the names move to hashed sets; numbering and
        // collision skipping must not change.
        var requested = Enumerable.Range(0, 30).Select(i => i == 3 ? "Linear_5" : null).ToArray();
        var (names, frame) = Create(requested).Run(Frame.ForInit(0));
        var expected = new List<string> { "Linear_0", "Linear_1", "Linear_2", "Linear_5", "Linear_3", "Linear_4" };
        expected.AddRange(Enumerable.Range(6, 24).Select(i => "Linear_" + i));
        Assert.Equal(expected, names);
        Assert.Equal(expected.Order(StringComparer.Ordinal), frame.CurrentScope.Names.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(20)]
    public void AnExplicitNameUsedTwiceInOneInvocationIsRejectedInSmallAndLargeTables(int before)
    {
        var names = Enumerable.Repeat<string?>(null, before).Append("enc").Append("enc");
        var e = Assert.Throws<ModuleNameException>(() => Create(names).Run(Frame.ForInit(0)));
        Assert.Contains("Duplicate module name 'enc' in scope '~'", e.Message);
    }

    [Fact]
    public void TheTableIsPersistentAReservationNeverChangesAnEarlierFrame()
    {
        var (_, small) = Create([null, null]).Run(Frame.ForInit(0));
        var (_, larger) = Create(Enumerable.Repeat<string?>(null, 12)).Run(small);
        Assert.Equal(["Linear_0", "Linear_1"], small.CurrentScope.Names);
        Assert.Equal(14, larger.CurrentScope.Names.Count);
        Assert.Contains("Linear_13", larger.CurrentScope.Names);
    }
}
