using System.Collections.Immutable;
using System.Text.RegularExpressions;
using MiniHaiku.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace MiniHaiku.Tests.Analyzers;

/// <summary>
/// docs/analyzers.md stays true: each C# block compiles against MiniHaiku, a block starting with
/// <c>// MH000n</c> gives exactly that diagnostic and a block starting with <c>// fixed</c> gives none;
/// every diagnostic has its section and anchor, and each section shows a flagged and a fixed example.
/// </summary>
public class DocsExamplesTests
{
    private static readonly ImmutableArray<DiagnosticAnalyzer> Analyzers =
        [new ModuleMethodAnalyzer(), new DroppedModelAnalyzer()];

    public static TheoryData<int, string, string> Blocks()
    {
        var data = new TheoryData<int, string, string>();
        var blocks = Regex.Matches(ReadGuide(), "```csharp\n(.*?)```", RegexOptions.Singleline);
        for (var i = 0; i < blocks.Count; i++)
        {
            var code = blocks[i].Groups[1].Value;
            var tag = code.Split('\n')[0].Trim();
            data.Add(i, tag, code);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public async Task EachExampleGivesExactlyTheDiagnosticItIsTaggedWith(int index, string tag, string code)
    {
        Assert.True(tag == "// fixed" || Regex.IsMatch(tag, "^// MH[0-9]{4}$"), $"block {index} starts with '{tag}', not '// MH000n' or '// fixed'");
        var tree = CSharpSyntaxTree.ParseText(Verifier<ModuleMethodAnalyzer>.Usings + code);
        var compilation = CSharpCompilation.Create($"DocsBlock{index}", [tree], References.All.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString());
        Assert.Empty(errors);

        var found = (await compilation.WithAnalyzers(Analyzers).GetAnalyzerDiagnosticsAsync()).Select(d => d.Id).ToArray();
        string[] expected = tag == "// fixed" ? [] : [tag[3..]];
        Assert.Equal(expected, found);
    }

    [Fact]
    public void EveryDiagnosticHasItsAnchorSectionAndAFlaggedAndAFixedExample()
    {
        var guide = ReadGuide();
        var ids = Analyzers.SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).Distinct().ToArray();
        Assert.Equal(["MH0001", "MH0002", "MH0003"], ids);
        foreach (var d in Analyzers.SelectMany(a => a.SupportedDiagnostics))
        {
            var anchor = d.HelpLinkUri[(d.HelpLinkUri.IndexOf('#') + 1)..];
            Assert.Contains($"<a id=\"{anchor}\"></a>\n## {d.Id}: ", guide);
            Assert.Contains($"| [{d.Id}](#{anchor}) |", guide);
            var section = guide[guide.IndexOf($"## {d.Id}: ", StringComparison.Ordinal)..];
            var next = section.IndexOf("\n## ", 1, StringComparison.Ordinal);
            if (next > 0) section = section[..next];
            Assert.Contains($"```csharp\n// {d.Id}\n", section);
            Assert.Contains("```csharp\n// fixed\n", section);
        }
    }

    private static string ReadGuide()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "MiniHaiku.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        return File.ReadAllText(Path.Combine(dir.FullName, "docs", "analyzers.md")).Replace("\r\n", "\n");
    }
}
