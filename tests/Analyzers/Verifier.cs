using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace MiniHaiku.Tests.Analyzers;

/// <summary>
/// Runs an analyzer over test code compiled against the running .NET runtime's assemblies, MiniHaiku.Core and
/// TorchSharp (nothing downloaded: no reference-assembly package is resolved), and compares its diagnostics
/// with the expected ones (the markup <c>{|MH0001:…|}</c> in the code, or explicit results).
/// </summary>
internal static class Verifier<TAnalyzer> where TAnalyzer : DiagnosticAnalyzer, new()
{
    /// <summary>The usings every test source starts with.</summary>
    internal const string Usings = """
        using System;
        using System.Linq;
        using MiniHaiku;
        using TorchSharp;
        using static TorchSharp.torch;

        """;

    internal static DiagnosticResult Diagnostic(string id) => CSharpAnalyzerVerifier<TAnalyzer, DefaultVerifier>.Diagnostic(id);

    /// <summary>Verifies <paramref name="source"/> (prefixed with <see cref="Usings"/>) yields exactly <paramref name="expected"/> plus its markup.</summary>
    internal static Task VerifyAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
        {
            TestCode = Usings + source,
            ReferenceAssemblies = References.NoPackages,
        };
        test.TestState.AdditionalReferences.AddRange(References.All.Value);
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }
}

internal static class References
{
    /// <summary>A target framework without a reference-assembly package: the references come from <see cref="All"/>.</summary>
    internal static readonly ReferenceAssemblies NoPackages = new("net10.0");

    /// <summary>The shared framework's managed assemblies, MiniHaiku.Core and TorchSharp.</summary>
    internal static readonly Lazy<ImmutableArray<MetadataReference>> All = new(() =>
    {
        var frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var framework = Directory.EnumerateFiles(frameworkDirectory, "*.dll").Where(IsManagedAssembly);
        var libraries = new[] { typeof(MiniHaiku.Model<>).Assembly.Location, typeof(TorchSharp.torch).Assembly.Location };
        return [.. framework.Concat(libraries).Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))];
    });

    private static bool IsManagedAssembly(string path)
    {
        try
        {
            AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }
}
