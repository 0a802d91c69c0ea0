using System.Reflection;
using System.Text.RegularExpressions;
using MiniHaiku.Optim;
using MiniHaiku.Tests.Support;

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

    // The rule at the top of docs/errors.md: a null argument is ArgumentNullException; every other misuse is a
    // named MiniHaikuException subtype. Checked on the binaries' IL: no `new ArgumentException(...)` (or any
    // subclass but ArgumentNullException), and the base type cannot be constructed outside a subtype.
    [Fact]
    public void ArgumentErrorsFollowTheRule()
    {
        var ctor = typeof(MiniHaikuException).GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance);
        Assert.True(typeof(MiniHaikuException).IsAbstract, "MiniHaikuException must be abstract: throw a named subtype");
        Assert.All(ctor, c => Assert.True(c.IsFamily, "MiniHaikuException's constructors must be protected"));

        var violations = new[] { typeof(MiniHaikuException).Assembly, typeof(MiniHaiku.Checkpoints.Checkpoint).Assembly }
            .SelectMany(ArgumentExceptionsCreated)
            .Select(v => $"{v.Method.DeclaringType?.FullName}.{v.Method.Name} creates {v.Exception.Name}")
            .Distinct()
            .ToList();
        Assert.True(violations.Count == 0, "Throw a named MiniHaikuException subtype (see docs/errors.md) instead:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void TheArgumentRuleCheckFindsViolations()
    {
        var found = ArgumentExceptionsCreated(typeof(ErrorTableTests).Assembly)
            .Where(v => v.Method.DeclaringType == typeof(RuleViolations))
            .Select(v => (v.Method.Name, v.Exception.Name))
            .OrderBy(v => v.Item1, StringComparer.Ordinal)
            .ToList();
        Assert.Equal([("OutOfRange", nameof(ArgumentOutOfRangeException)), ("Plain", nameof(ArgumentException)), ("ThrowHelper", nameof(ArgumentOutOfRangeException))], found);
    }

    private static class RuleViolations
    {
        public static void Plain(int x) { if (x < 0) throw new ArgumentException("negative", nameof(x)); }
        public static void OutOfRange(int x) { if (x < 0) throw new ArgumentOutOfRangeException(nameof(x)); }
        public static void ThrowHelper(int x) => ArgumentOutOfRangeException.ThrowIfNegative(x);
        public static void Null(string? s) { if (s is null) throw new ArgumentNullException(nameof(s)); }
    }

    private static IEnumerable<(MethodBase Method, Type Exception)> ArgumentExceptionsCreated(Assembly assembly) =>
        from m in IlScanner.AllMethods(assembly)
        from callee in IlScanner.Callees(m)
        let t = callee.DeclaringType
        where t is not null && typeof(ArgumentException).IsAssignableFrom(t) && t != typeof(ArgumentNullException)
              && (callee is ConstructorInfo || callee.Name.StartsWith("ThrowIf", StringComparison.Ordinal))   // also ArgumentOutOfRangeException.ThrowIfNegative(…)
        select (m, t);
}
