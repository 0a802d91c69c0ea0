using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using System.Xml.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using MiniHaiku.Optim;

namespace MiniHaiku.Tests.Docs;

/// <summary>
/// Keeps the <c>&lt;example&gt;</c> code of MiniHaiku.Core's XML documentation compiling, and requires one on every
/// public entry point of the core's API types (docs/doc-examples.md says where examples go and what is in scope).
/// </summary>
/// <remarks>
/// Every <c>&lt;code&gt;</c> inside an <c>&lt;example&gt;</c> of the generated MiniHaiku.Core.xml is compiled with
/// Roslyn against MiniHaiku.Core, TorchSharp and the .NET runtime only (not Extensions). A block that is one
/// expression (a LINQ query, a call) is compiled as <c>_ = expression;</c>; otherwise its statements form a method
/// body and its type declarations (a module record, …) sit next to that method. Each example gets the usings and
/// the variables of <see cref="Prelude"/>: a local it declares hides a prelude variable of the same name.
/// A <c>&lt;code lang="fsharp"&gt;</c> (or <c>language=</c>, any value other than C#) is not compiled. An example
/// that uses no prelude variable is also run and must not throw.
/// </remarks>
public class DocExamplesTests
{
    /// <summary>The usings every example gets.</summary>
    internal const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using MiniHaiku;
        using MiniHaiku.Layers;
        using MiniHaiku.Nets;
        using MiniHaiku.Optim;
        using TorchSharp;
        using static TorchSharp.torch;
        """;

    /// <summary>
    /// The variables in scope of every example (fields of the base class each example derives from).
    /// Keep this list and docs/doc-examples.md in step.
    /// </summary>
    internal const string Prelude = """
        namespace MiniHaiku.DocExamples;

        /// An example's method runs in a class derived from this one: these are the names it may use unset.
        public abstract class Prelude
        {
            /// A batch of inputs (features last; images NHWC, as the layers expect), regression targets, class labels (int64),
            /// a classifier's logits, a condition or context, a scalar loss.
            protected Tensor x = null!, y = null!, targets = null!, labels = null!, logits = null!, c = null!, loss = null!;
            /// Images [N, H, W, C], a video [N, T, H, W, C], a time-major sequence [T, B, F] with its reset flags [T, B],
            /// an encoder's output.
            protected Tensor images = null!, video = null!, xs = null!, resets = null!, encoded = null!;
            /// Whether the model trains (dropout, batch statistics), a width, a batch size, a step number, a random key.
            protected bool isTraining;
            protected int width, batch;
            protected long step;
            protected RngKey key;
            /// A model's parameters, its state, gradients and optimizer updates.
            protected Params p = null!, state = null!, grads = null!, updates = null!;
            /// A model (a computation that asks for parameters) and a function from a tensor to one.
            protected Model<Tensor> model = null!;
            protected Func<Tensor, Model<Tensor>> f = null!;
            /// A transformed model, and one with state whose input is a tensor and an is-training flag.
            protected Transformed<Tensor, Tensor> net = null!;
            protected TransformedWithState<(Tensor X, bool IsTraining), Tensor> netWithState = null!;
            /// A loss of the parameters (for Grad.*), an optimizer and its state.
            protected Func<Params, Tensor> lossFn = null!;
            protected GradientTransformation optimizer = null!;
            protected OptState optState = null!;
            /// The functions of a multi-transformed autoencoder (see Hk.MultiTransform) and the transformed result.
            protected (Func<Tensor, Model<Tensor>> Encode, Func<Tensor, Model<Tensor>> Decode) fns;
            protected MultiTransformed<(Func<Tensor, Model<Tensor>> Encode, Func<Tensor, Model<Tensor>> Decode)> ae = null!;
        }
        """;

    /// <summary>The API types whose public methods must each carry an example (any one overload counts).</summary>
    internal static readonly Type[] RequiredTypes =
    [
        typeof(Hk), typeof(Transformed<,>), typeof(TransformedWithState<,>), typeof(MultiTransformed<>), typeof(TransformAdapters),
        typeof(Model<>), typeof(Module), typeof(Params), typeof(ParamsTree), typeof(Grad), typeof(Initializers), typeof(RngKey),
        typeof(Sampling), typeof(GradientTransformation), typeof(Optimizers), typeof(Schedule), typeof(ParamsUpdates),
    ];

    /// <summary>Methods that are plumbing (object, records, the read-only dictionary interface), not entry points.</summary>
    private static readonly HashSet<string> Plumbing =
    [
        "ToString", "Equals", "GetHashCode", "Deconstruct", "PrintMembers", "<Clone>$",
        "GetEnumerator", "ContainsKey", "TryGetValue",
    ];

    /// <summary>The machinery issue 10 makes internal (a user never calls it): no examples wanted.</summary>
    private static readonly HashSet<string> Machinery = ["MiniHaiku.Hk.GetFrame", "MiniHaiku.Model`1.Run"];

    internal sealed record Example(string MemberId, int Index, string Code);

    /// <summary>The core's examples, compiled once for the tests of this class.</summary>
    private static readonly Lazy<(List<Example> Examples, CSharpCompilation Compilation, Dictionary<SyntaxTree, Example> Trees)> CoreExamples = new(() =>
    {
        var examples = ReadExamples(CoreXml());
        var (compilation, trees) = Compile(examples);
        return (examples, compilation, trees);
    });

    [Fact]
    public void EveryExampleOfTheCoreDocsCompiles()
    {
        var (examples, compilation, trees) = CoreExamples.Value;
        Assert.True(examples.Count >= 200, $"only {examples.Count} examples found in {CoreXmlPath}: is it the current documentation file?");
        var errors = compilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error)
            .GroupBy(d => d.Location.SourceTree is { } t && trees.TryGetValue(t, out var e) ? $"{e.MemberId} (example {e.Index + 1})" : "the prelude")
            .Select(g => $"{g.Key}:\n" + string.Join("\n", g.Select(d => "    " + Describe(d))))
            .ToList();
        Assert.True(errors.Count == 0,
            $"{errors.Count} of {examples.Count} documentation examples do not compile (prelude: tests/Unit/Docs/DocExamplesTests.cs, docs/doc-examples.md):\n"
            + string.Join("\n", errors));
    }

    /// <summary>
    /// An example that uses none of the prelude's variables needs nothing from outside: it is run too, and must
    /// not throw (an optimizer or schedule with arguments it rejects, a wrong shape, …).
    /// </summary>
    [Fact]
    public void EverySelfContainedExampleRuns()
    {
        var (_, compilation, trees) = CoreExamples.Value;
        var (run, failures) = RunSelfContained(compilation, trees);
        Assert.True(run >= 100, $"only {run} examples are self-contained");
        Assert.True(failures.Count == 0, $"{failures.Count} of {run} self-contained examples throw:\n" + string.Join("\n", failures));
    }

    [Fact]
    public void OnlySelfContainedExamplesRunAndAThrowingOneIsReported()
    {
        var (compilation, trees) = Compile(
        [
            new("M:MiniHaiku.Runs", 0, "var key = RngKey.FromSeed(1);\nvar split = key.Split(2);"),
            new("M:MiniHaiku.Throws", 0, "var keys = RngKey.FromSeed(1).Split(0);"),
            new("M:MiniHaiku.UsesPrelude", 0, "Params q = p.Without(\"~/w\");"),   // p is null: would throw if run
        ]);
        var (run, failures) = RunSelfContained(compilation, trees);
        Assert.Equal(2, run);
        var failure = Assert.Single(failures);
        Assert.StartsWith("M:MiniHaiku.Throws (example 1): ModelUsageException: ", failure, StringComparison.Ordinal);
    }

    /// <summary>Runs each example that uses no prelude variable; returns how many ran and what threw.</summary>
    private static (int Run, List<string> Failures) RunSelfContained(CSharpCompilation compilation, Dictionary<SyntaxTree, Example> trees)
    {
        var runnable = trees.Where(t => !UsesPrelude(compilation, t.Key)).ToList();
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        Assert.True(emitted.Success, "the examples do not compile: see EveryExampleOfTheCoreDocsCompiles");
        // Its own load context (Core and TorchSharp resolve to the loaded ones): each compilation has the same assembly name.
        var context = new System.Runtime.Loader.AssemblyLoadContext("doc-examples", isCollectible: true);
        var assembly = context.LoadFromStream(new MemoryStream(image.ToArray()));
        var failures = new List<string>();
        foreach (var (tree, example) in runnable)
        {
            var type = assembly.GetType($"MiniHaiku.DocExamples.{ExampleNamespace(tree)}.Example", throwOnError: true)!;
            using var scope = torch.NewDisposeScope();
            try
            {
                type.GetMethod("Run")!.Invoke(Activator.CreateInstance(type), null);
            }
            catch (TargetInvocationException e) when (e.InnerException is { } inner)
            {
                failures.Add($"{example.MemberId} (example {example.Index + 1}): {inner.GetType().Name}: {inner.Message}");
            }
        }
        context.Unload();
        return (runnable.Count, failures);
    }

    [Fact]
    public void EveryPublicEntryPointOfTheCoreApiHasAnExample()
    {
        var documented = ReadExamples(CoreXml()).Select(e => MemberGroup(e.MemberId)).ToHashSet();
        var missing = RequiredTypes
            .SelectMany(t => EntryPoints(t).Select(m => $"{DocTypeName(t)}.{m}"))
            .Distinct()
            .Where(g => !documented.Contains(g) && !Machinery.Contains(g))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(missing.Count == 0,
            $"{missing.Count} public methods have no <example> on any overload (docs/doc-examples.md):\n  " + string.Join("\n  ", missing));
    }

    [Fact]
    public void AnExampleThatDoesNotCompileIsReportedWithItsMemberAndError()
    {
        var (compilation, trees) = Compile(
        [
            new("M:MiniHaiku.Hk.Good", 0, "from w in Hk.GetParam(\"w\", [3, width]) select x.matmul(w)"),
            new("M:MiniHaiku.Hk.Bad", 0, "var q = Hk.NoSuchMethod(x);"),
            new("T:MiniHaiku.Shadowing", 0, "var x = torch.ones(2, 3);\nParams p = net.Init(0, x);"),
            new("T:MiniHaiku.Returns", 0, "// [N, F] → [N, 10]\nreturn from l in Linear.Create(10)\n       from y in l.Call(x)\n       select y;"),
            new("T:MiniHaiku.WithType", 0, "var m = Twice.Create();\nrecord Twice(ModuleName Name) : Module(Name)\n{\n    public static Model<Twice> Create() => Hk.Module(n => new Twice(n));\n}"),
        ]);
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        var bad = Assert.Single(errors);
        Assert.Equal("M:MiniHaiku.Hk.Bad", trees[bad.Location.SourceTree!].MemberId);
        Assert.Contains("NoSuchMethod", bad.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void ExamplesAreReadFromExampleCodeOnlySkippingOtherLanguages()
    {
        var xml = XDocument.Parse("""
            <doc><members>
              <member name="M:A.B"><summary><code>not an example</code></summary>
                <example>Text <code>var a = 1 &lt; 2;</code> and <code lang="fsharp">let a = 1</code></example></member>
              <member name="T:A.C"><example><code language="C#">var b = 2;</code><code language="F#">let b = 2</code></example></member>
            </members></doc>
            """);
        var examples = ReadExamples(xml);
        Assert.Equal([("M:A.B", "var a = 1 < 2;"), ("T:A.C", "var b = 2;")], examples.Select(e => (e.MemberId, e.Code)).ToArray());
        Assert.Equal("T:A.B.C", MemberGroup("T:A.B.C"));
        Assert.Equal("MiniHaiku.Hk.GetParam", MemberGroup("M:MiniHaiku.Hk.GetParam(System.String,System.Int64[])"));
        Assert.Equal("MiniHaiku.Model`1.SelectMany", MemberGroup("M:MiniHaiku.Model`1.SelectMany``2(System.Func)"));
    }

    private static string CoreXmlPath => Path.ChangeExtension(typeof(Hk).Assembly.Location, ".xml");

    private static XDocument CoreXml()
    {
        Assert.True(File.Exists(CoreXmlPath), $"MiniHaiku.Core's XML documentation is not next to its assembly: {CoreXmlPath}");
        return XDocument.Load(CoreXmlPath);
    }

    /// <summary>Every C# <c>code</c> block inside an <c>example</c>, with the id of the member it documents.</summary>
    internal static List<Example> ReadExamples(XDocument xml) =>
        xml.Descendants("member")
            .SelectMany(m => m.Elements("example").SelectMany(e => e.Descendants("code"))
                .Where(code => IsCSharp((string?)code.Attribute("lang") ?? (string?)code.Attribute("language")))
                .Select((code, i) => new Example((string)m.Attribute("name")!, i, Dedent(code.Value))))
            .ToList();

    private static bool IsCSharp(string? language) =>
        language is null || language.ToLowerInvariant() is "c#" or "cs" or "csharp";

    private static string Dedent(string code)
    {
        var lines = code.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').ToList();
        while (lines.Count > 0 && string.IsNullOrWhiteSpace(lines[0])) lines.RemoveAt(0);
        while (lines.Count > 0 && string.IsNullOrWhiteSpace(lines[^1])) lines.RemoveAt(lines.Count - 1);
        var indent = lines.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join("\n", lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
    }

    /// <summary>One syntax tree per example, in its own namespace, plus the prelude; all in one compilation.</summary>
    internal static (CSharpCompilation Compilation, Dictionary<SyntaxTree, Example> Trees) Compile(IReadOnlyList<Example> examples)
    {
        var options = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = new Dictionary<SyntaxTree, Example>();
        for (var i = 0; i < examples.Count; i++)
            trees.Add(CSharpSyntaxTree.ParseText(Wrap(examples[i], i), options, path: examples[i].MemberId), examples[i]);
        var prelude = CSharpSyntaxTree.ParseText(Usings + "\n" + Prelude, options, path: "Prelude.cs");
        var compilation = CSharpCompilation.Create(
            "MiniHaiku.DocExamples",
            trees.Keys.Append(prelude),
            References(),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        return (compilation, trees);
    }

    /// <summary>
    /// The example's file: the usings, its own namespace, a class derived from the prelude whose method holds the
    /// statements (or <c>_ = expression;</c>), and the example's type declarations.
    /// </summary>
    internal static string Wrap(Example example, int number)
    {
        var code = example.Code;
        var text = new StringBuilder(Usings).Append('\n');
        var expression = SyntaxFactory.ParseExpression(code);
        string body;
        var returnsValue = false;
        var types = new List<string>();
        if (!expression.ContainsDiagnostics) // the whole text is one expression (the parser consumes it all)
        {
            body = "_ = " + code + "\n;"; // on its own line: the code may end in a // comment
        }
        else
        {
            var unit = SyntaxFactory.ParseCompilationUnit(code);
            foreach (var u in unit.Usings) text.Append(u.ToFullString().Trim()).Append('\n');
            var statements = unit.Members.OfType<GlobalStatementSyntax>().ToList();
            body = string.Concat(statements.Select(s => s.ToFullString()));
            // Statements that end in `return model;` (a layer's example returning its Model<Tensor>) get a method with a result.
            returnsValue = statements.Any(s => s.DescendantNodesAndSelf(n => n is not AnonymousFunctionExpressionSyntax and not LocalFunctionStatementSyntax)
                .OfType<ReturnStatementSyntax>().Any(r => r.Expression is not null));
            types.AddRange(unit.Members.Where(m => m is not GlobalStatementSyntax).Select(m => m.ToFullString()));
        }
        text.Append($"namespace MiniHaiku.DocExamples.E{number}\n{{\n");
        text.Append("sealed class Example : MiniHaiku.DocExamples.Prelude\n{\n    public ").Append(returnsValue ? "object?" : "void").Append(" Run()\n    {\n");
        text.Append("#line 1\n").Append(body).Append("\n#line default\n    }\n}\n");
        foreach (var t in types) text.Append(t).Append('\n');
        return text.Append("}\n").ToString();
    }

    /// <summary>Whether an example's code refers to a variable of the prelude (so it is compiled, not run).</summary>
    private static bool UsesPrelude(CSharpCompilation compilation, SyntaxTree tree)
    {
        var model = compilation.GetSemanticModel(tree);
        return tree.GetRoot().DescendantNodes().OfType<IdentifierNameSyntax>()
            .Any(id => model.GetSymbolInfo(id).Symbol is IFieldSymbol { ContainingType.Name: "Prelude" });
    }

    private static string ExampleNamespace(SyntaxTree tree) =>
        tree.GetRoot().DescendantNodes().OfType<BaseNamespaceDeclarationSyntax>().First().Name.ToString().Split('.')[^1];

    private static IEnumerable<MetadataReference> References()
    {
        var runtime = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var framework = Directory.GetFiles(runtime, "*.dll")
            .Where(f => Path.GetFileName(f) is var n && (n.StartsWith("System.", StringComparison.Ordinal) || n is "mscorlib.dll" or "netstandard.dll"));
        return framework
            .Append(typeof(Hk).Assembly.Location)
            .Append(typeof(torch).Assembly.Location)
            .Select(f => MetadataReference.CreateFromFile(f));
    }

    private static string Describe(Diagnostic d)
    {
        var span = d.Location.GetMappedLineSpan();
        return $"line {span.StartLinePosition.Line + 1}: {d.Id} {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
    }

    /// <summary>A member id without its kind, parameters and generic arity: every overload of a method shares it.</summary>
    internal static string MemberGroup(string id)
    {
        if (id.StartsWith("T:", StringComparison.Ordinal)) return id;
        var name = id[2..];
        var paren = name.IndexOf('(', StringComparison.Ordinal);
        if (paren >= 0) name = name[..paren];
        var arity = name.IndexOf("``", StringComparison.Ordinal);
        return arity >= 0 ? name[..arity] : name;
    }

    private static string DocTypeName(Type t) => (t.FullName ?? t.Name).Replace('+', '.');

    /// <summary>The public (and, for inheritable types, protected) methods a user calls, by name.</summary>
    private static IEnumerable<string> EntryPoints(Type t) =>
        t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => m.IsPublic || (!t.IsSealed && (m.IsFamily || m.IsFamilyOrAssembly)))
            .Where(m => !m.IsSpecialName && m.GetCustomAttribute<CompilerGeneratedAttribute>() is null && !Plumbing.Contains(m.Name))
            .Select(m => m.Name)
            .Distinct();
}
