using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace MiniHaiku.Analyzers;

/// <summary>
/// MH0001's fix: wraps what the member returns in <c>Method(...)</c> — the expression body, or each
/// <c>return</c> of a block body (not those of nested lambdas or local functions). When the method's first
/// parameter is a tensor, it is passed as the method's input (<c>Method(body, x)</c>) so summaries show its shape.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(WrapInMethodCodeFix)), Shared]
public sealed class WrapInMethodCodeFix : CodeFixProvider
{
    private const string Title = "Wrap the body in Method(...)";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("MH0001");

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            var member = root.FindToken(diagnostic.Location.SourceSpan.Start).Parent?.AncestorsAndSelf().OfType<MemberDeclarationSyntax>().FirstOrDefault();
            if (member is not (MethodDeclarationSyntax { ExplicitInterfaceSpecifier: null } or PropertyDeclarationSyntax { ExplicitInterfaceSpecifier: null, ExpressionBody: not null })) continue;
            if (Returns(member).IsEmpty) continue;
            context.RegisterCodeFix(
                CodeAction.Create(Title, token => WrapAsync(context.Document, member, token), equivalenceKey: Title),
                diagnostic);
        }
    }

    private static async Task<Document> WrapAsync(Document document, MemberDeclarationSyntax member, CancellationToken cancellationToken)
    {
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var input = member is MethodDeclarationSyntax method
                    && model?.GetDeclaredSymbol(method, cancellationToken) is { Parameters.Length: > 0 } symbol
                    && symbol.Parameters[0].Type.ToDisplayString() == "TorchSharp.torch.Tensor"
            ? method.ParameterList.Parameters[0].Identifier.WithoutTrivia()
            : default(SyntaxToken?);
        var wrapped = member.ReplaceNodes(Returns(member), (_, expression) => Wrap(expression, input));
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        return document.WithSyntaxRoot(root!.ReplaceNode(member, wrapped));
    }

    private static InvocationExpressionSyntax Wrap(ExpressionSyntax expression, SyntaxToken? input)
    {
        var arguments = SyntaxFactory.SeparatedList(
            input is null
                ? new[] { SyntaxFactory.Argument(expression.WithoutTrivia()) }
                : new[] { SyntaxFactory.Argument(expression.WithoutTrivia()), SyntaxFactory.Argument(SyntaxFactory.IdentifierName(input.Value)) });
        return SyntaxFactory.InvocationExpression(SyntaxFactory.IdentifierName("Method"), SyntaxFactory.ArgumentList(arguments))
            .WithTriviaFrom(expression);
    }

    /// <summary>The expressions the member returns: its expression body, or the returns of its own block body.</summary>
    private static ImmutableArray<ExpressionSyntax> Returns(MemberDeclarationSyntax member)
    {
        var (expressionBody, block) = member switch
        {
            MethodDeclarationSyntax m => (m.ExpressionBody, m.Body),
            PropertyDeclarationSyntax p => (p.ExpressionBody, null),
            _ => (null, null),
        };
        if (expressionBody is not null) return ImmutableArray.Create(expressionBody.Expression);
        if (block is null) return ImmutableArray<ExpressionSyntax>.Empty;
        return block.DescendantNodes(node => node is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax))
            .OfType<ReturnStatementSyntax>()
            .Select(r => r.Expression)
            .Where(e => e is not null)
            .Select(e => e!)
            .ToImmutableArray();
    }
}
