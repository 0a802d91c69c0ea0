using Microsoft.CodeAnalysis;

namespace MiniHaiku.Analyzers;

/// <summary>MiniHaiku's types as seen by one compilation (null when it does not reference MiniHaiku.Core).</summary>
internal sealed class MiniHaikuSymbols
{
    private MiniHaikuSymbols(INamedTypeSymbol model, INamedTypeSymbol module)
    {
        Model = model;
        Module = module;
    }

    /// <summary><c>MiniHaiku.Model&lt;T&gt;</c> (the unbound definition).</summary>
    internal INamedTypeSymbol Model { get; }

    /// <summary><c>MiniHaiku.Module</c>.</summary>
    internal INamedTypeSymbol Module { get; }

    internal static MiniHaikuSymbols? Find(Compilation compilation)
    {
        var model = compilation.GetTypeByMetadataName("MiniHaiku.Model`1");
        var module = compilation.GetTypeByMetadataName("MiniHaiku.Module");
        return model is null || module is null ? null : new MiniHaikuSymbols(model, module);
    }

    /// <summary>Whether <paramref name="type"/> is <c>Model&lt;T&gt;</c> for some T.</summary>
    internal bool IsModel(ITypeSymbol? type) =>
        type is INamedTypeSymbol named && SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, Model);

    /// <summary>The T of <c>Model&lt;T&gt;</c>, as C# writes it.</summary>
    internal static string ValueTypeText(ITypeSymbol modelType) =>
        modelType is INamedTypeSymbol { TypeArguments.Length: 1 } named
            ? named.TypeArguments[0].ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)
            : "T";

    /// <summary>Whether <paramref name="type"/> derives from <c>MiniHaiku.Module</c> (directly or not).</summary>
    internal bool DerivesFromModule(ITypeSymbol? type)
    {
        for (var t = type?.BaseType; t is not null; t = t.BaseType)
            if (SymbolEqualityComparer.Default.Equals(t, Module)) return true;
        return false;
    }

    /// <summary>Whether <paramref name="method"/> is one of Module's protected <c>Method(...)</c> overloads.</summary>
    internal bool IsModuleMethod(IMethodSymbol method) =>
        method.Name == "Method" && SymbolEqualityComparer.Default.Equals(method.ContainingType?.OriginalDefinition, Module);
}
