using System.Reflection;
using System.Text.RegularExpressions;

namespace MiniHaiku.Tests;

/// <summary>docs/errors.md stays true: every exception type has a row, and every test a row names exists.</summary>
public partial class ErrorTableTests
{
    private static string ReadTable()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "docs", "errors.md");
            if (File.Exists(path)) return File.ReadAllText(path);
        }
        throw new FileNotFoundException("docs/errors.md not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"`(\w+Tests)\.(\w+)`")]
    private static partial Regex TestReference();

    [Fact]
    public void EveryMiniHaikuExceptionTypeHasARow()
    {
        var table = ReadTable();
        var assemblies = new[] { typeof(MiniHaikuException).Assembly, typeof(MiniHaiku.Checkpoints.Checkpoint).Assembly };
        Assert.Equal(2, assemblies.Distinct().Count());
        var types = assemblies.SelectMany(a => a.GetTypes()).Where(t => t.IsSubclassOf(typeof(MiniHaikuException)) && t.IsPublic).ToList();
        Assert.Contains(types, t => t.Assembly == assemblies[1]);
        Assert.All(types, t => Assert.Contains("| `" + t.Name + "`", table));
    }

    [Fact]
    public void EveryTestTheTableNamesExists()
    {
        var refs = TestReference().Matches(ReadTable()).Select(m => (Class: m.Groups[1].Value, Method: m.Groups[2].Value)).ToList();
        Assert.True(refs.Count >= 11, $"only {refs.Count} test references found");
        var testClasses = typeof(ErrorTableTests).Assembly.GetTypes()
            .Where(t => t.IsPublic && t.Namespace is { } ns && (ns == "MiniHaiku.Tests" || ns.StartsWith("MiniHaiku.Tests.", StringComparison.Ordinal)))
            .ToLookup(t => t.Name);
        foreach (var (cls, method) in refs)
        {
            Assert.True(testClasses[cls].Count() == 1, $"expected one test class {cls} in MiniHaiku.Tests.*, found {testClasses[cls].Count()}");
            var type = testClasses[cls].Single();
            var m = type!.GetMethod(method, BindingFlags.Public | BindingFlags.Instance);
            Assert.True(m is not null && (m.IsDefined(typeof(FactAttribute)) || m.IsDefined(typeof(TheoryAttribute))), $"no test {cls}.{method}");
        }
    }
}
