using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace MiniHaiku.Analyzers;

/// <summary>
/// MH0001: a public or internal instance method (or property) of a <c>MiniHaiku.Module</c> that returns a
/// <c>Model&lt;T&gt;</c> without going through the module's <c>Method(...)</c>.
/// </summary>
/// <remarks>
/// The rule, kept simple so that it is predictable (docs/analyzers.md#mh0001):
/// a member is checked when it is declared in a type deriving from <c>MiniHaiku.Module</c>, is not static, is
/// public, internal, protected internal or an explicit interface implementation, and returns
/// <c>Model&lt;T&gt;</c>. It passes when its body (lambdas included) calls one of Module's <c>Method</c>
/// overloads, or calls, on this instance, another non-private member of the module that returns a model (an
/// overload or a public <c>Call</c> that is itself checked or inherited). What the body does (GetParam,
/// submodules or nothing) is not looked at: wrapping is always harmless, and a body that asks for nothing
/// today may tomorrow. Protected and private members are helpers that the checked members call from
/// inside their <c>Method(...)</c>; static members are factories (<c>Linear.Create</c>).
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ModuleMethodAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(Descriptors.ModuleMethodWithoutMethod);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var symbols = MiniHaikuSymbols.Find(start.Compilation);
            if (symbols is null) return;
            start.RegisterOperationBlockAction(block => AnalyzeBlock(block, symbols));
        });
    }

    private static void AnalyzeBlock(OperationBlockAnalysisContext context, MiniHaikuSymbols symbols)
    {
        if (context.OwningSymbol is not IMethodSymbol method || !IsChecked(method, symbols)) return;
        foreach (var block in context.OperationBlocks)
        {
            foreach (var operation in block.DescendantsAndSelf())
            {
                if (GoesThroughMethod(operation, method, symbols)) return;
            }
        }

        // A property getter's diagnostic goes on the getter (its `=> …` or `get`), inside the analyzed block.
        var member = method.MethodKind == MethodKind.PropertyGet && method.AssociatedSymbol is { } property ? property : method;
        var location = method.Locations.FirstOrDefault(l => l.IsInSource);
        if (location is null) return;
        context.ReportDiagnostic(Diagnostic.Create(
            Descriptors.ModuleMethodWithoutMethod,
            location,
            method.ContainingType.Name,
            member.Name,
            MiniHaikuSymbols.ValueTypeText(method.ReturnType)));
    }

    /// <summary>Whether the rule applies to <paramref name="method"/>.</summary>
    private static bool IsChecked(IMethodSymbol method, MiniHaikuSymbols symbols)
    {
        if (method.IsStatic || method.IsAbstract || method.IsImplicitlyDeclared) return false;
        if (method.MethodKind is not (MethodKind.Ordinary or MethodKind.PropertyGet or MethodKind.ExplicitInterfaceImplementation)) return false;
        if (method.MethodKind != MethodKind.ExplicitInterfaceImplementation && !IsVisibleOutside(method)) return false;
        return symbols.IsModel(method.ReturnType) && symbols.DerivesFromModule(method.ContainingType);
    }

    /// <summary>Public, internal or protected internal: callable from outside the module's own hierarchy.</summary>
    private static bool IsVisibleOutside(ISymbol symbol) =>
        symbol.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal;

    private static bool GoesThroughMethod(IOperation operation, IMethodSymbol self, MiniHaikuSymbols symbols)
    {
        switch (operation)
        {
            case IInvocationOperation invocation:
                var target = invocation.TargetMethod;
                if (symbols.IsModuleMethod(target)) return true;
                return IsDelegation(invocation.Instance, target, target.ReturnType, self, symbols);
            case IPropertyReferenceOperation reference when reference.Property.GetMethod is { } getter:
                return IsDelegation(reference.Instance, getter, reference.Property.Type, self, symbols);
            default:
                return false;
        }
    }

    /// <summary>A call, on this instance, of another checked (or inherited non-private) member returning a model.</summary>
    private static bool IsDelegation(IOperation? instance, IMethodSymbol target, ITypeSymbol returnType, IMethodSymbol self, MiniHaikuSymbols symbols) =>
        instance is IInstanceReferenceOperation
        && !target.IsStatic
        && symbols.IsModel(returnType)
        && !SymbolEqualityComparer.Default.Equals(target.OriginalDefinition, self.OriginalDefinition)
        && IsVisibleOutside(target);
}
