using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace MiniHaiku.Analyzers;

/// <summary>
/// MH0002: an expression statement whose value is a <c>Model&lt;T&gt;</c> (built and dropped);
/// MH0003: a <c>Model&lt;T&gt;</c> local that is never read. Both are silent no-ops: a model is a description.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class DroppedModelAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(Descriptors.DroppedModel, Descriptors.UnreadModelLocal);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var symbols = MiniHaikuSymbols.Find(start.Compilation);
            if (symbols is null) return;
            start.RegisterOperationAction(op => AnalyzeStatement(op, symbols), OperationKind.ExpressionStatement);
            start.RegisterOperationBlockAction(block => AnalyzeLocals(block, symbols));
        });
    }

    private static void AnalyzeStatement(OperationAnalysisContext context, MiniHaikuSymbols symbols)
    {
        var value = ((IExpressionStatementOperation)context.Operation).Operation;
        // An assignment's value is its right-hand side: `m = Hk.Pure(1);` keeps the model; `_ = …;` drops it on purpose.
        if (value is IAssignmentOperation or IIncrementOrDecrementOperation) return;
        if (!symbols.IsModel(value.Type)) return;
        var what = value is IInvocationOperation invocation
            ? $"call to '{invocation.TargetMethod.ContainingType.Name}.{invocation.TargetMethod.Name}'"
            : "expression";
        context.ReportDiagnostic(Diagnostic.Create(
            Descriptors.DroppedModel, value.Syntax.GetLocation(), what, MiniHaikuSymbols.ValueTypeText(value.Type!)));
    }

    private static void AnalyzeLocals(OperationBlockAnalysisContext context, MiniHaikuSymbols symbols)
    {
        List<ILocalSymbol>? declared = null;
        HashSet<ILocalSymbol>? read = null;
        foreach (var block in context.OperationBlocks)
        {
            foreach (var operation in block.DescendantsAndSelf())
            {
                switch (operation)
                {
                    // Declared by a local declaration statement (not foreach, catch, out var or patterns).
                    case IVariableDeclaratorOperation { Parent.Parent: IVariableDeclarationGroupOperation } declarator
                        when symbols.IsModel(declarator.Symbol.Type) && declarator.Symbol.Name != "_":
                        (declared ??= new List<ILocalSymbol>()).Add(declarator.Symbol);
                        break;
                    case ILocalReferenceOperation reference when IsRead(reference) && symbols.IsModel(reference.Local.Type):
                        (read ??= new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default)).Add(reference.Local);
                        break;
                }
            }
        }

        if (declared is null) return;
        foreach (var local in declared)
        {
            if (read is not null && read.Contains(local)) continue;
            foreach (var location in local.Locations)
            {
                if (!location.IsInSource) continue;
                context.ReportDiagnostic(Diagnostic.Create(
                    Descriptors.UnreadModelLocal, location, local.Name, MiniHaikuSymbols.ValueTypeText(local.Type)));
                break;
            }
        }
    }

    /// <summary>Whether the reference reads the local (not the target of an assignment, not an out argument).</summary>
    private static bool IsRead(ILocalReferenceOperation reference)
    {
        if (reference.IsDeclaration) return false;
        return reference.Parent switch
        {
            ISimpleAssignmentOperation assignment when assignment.Target == reference => false,
            IArgumentOperation { Parameter.RefKind: RefKind.Out } => false,
            _ => true,
        };
    }
}
