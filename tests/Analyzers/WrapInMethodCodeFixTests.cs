using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using MiniHaiku.Analyzers;

namespace MiniHaiku.Tests.Analyzers;

/// <summary>MH0001's code fix wraps what the member returns in Method(...), passing a tensor input along.</summary>
public class WrapInMethodCodeFixTests
{
    private static Task VerifyFixAsync(string source, string fixedSource)
    {
        var test = new CSharpCodeFixTest<ModuleMethodAnalyzer, WrapInMethodCodeFix, DefaultVerifier>
        {
            TestCode = Verifier<ModuleMethodAnalyzer>.Usings + source,
            FixedCode = Verifier<ModuleMethodAnalyzer>.Usings + fixedSource,
            ReferenceAssemblies = References.NoPackages,
        };
        test.TestState.AdditionalReferences.AddRange(References.All.Value);
        test.FixedState.AdditionalReferences.AddRange(References.All.Value);
        return test.RunAsync();
    }

    [Fact]
    public async Task AnExpressionBodyIsWrappedWithTheTensorInput() =>
        await VerifyFixAsync("""
            public sealed record Dense(ModuleName Name, int Width) : Module(Name)
            {
                public Model<Tensor> {|MH0001:Call|}(Tensor x) =>
                    from w in Hk.GetParam("w", [x.shape[^1], Width])
                    select x.matmul(w);
            }
            """, """
            public sealed record Dense(ModuleName Name, int Width) : Module(Name)
            {
                public Model<Tensor> Call(Tensor x) =>
                    Method(from w in Hk.GetParam("w", [x.shape[^1], Width])
                    select x.matmul(w), x);
            }
            """);

    [Fact]
    public async Task EveryReturnOfABlockBodyIsWrappedButNotThoseOfNestedLambdasOrLocalFunctions() =>
        await VerifyFixAsync("""
            public sealed record Gate(ModuleName Name) : Module(Name)
            {
                public Model<int> {|MH0001:Count|}(bool skip)
                {
                    Func<Model<int>> later = () => { return Hk.Pure(0); };
                    Model<int> Local() { return Hk.Pure(1); }
                    if (skip) return Hk.Pure(2);
                    return from a in later() from b in Local() select a + b;
                }
            }
            """, """
            public sealed record Gate(ModuleName Name) : Module(Name)
            {
                public Model<int> Count(bool skip)
                {
                    Func<Model<int>> later = () => { return Hk.Pure(0); };
                    Model<int> Local() { return Hk.Pure(1); }
                    if (skip) return Method(Hk.Pure(2));
                    return Method(from a in later() from b in Local() select a + b);
                }
            }
            """);

    [Fact]
    public async Task AnExpressionBodiedPropertyIsWrapped() =>
        await VerifyFixAsync("""
            public sealed record Holder(ModuleName Name) : Module(Name)
            {
                public Model<Tensor> Weights => {|MH0001:Hk.GetParam("w", [2L])|};
            }
            """, """
            public sealed record Holder(ModuleName Name) : Module(Name)
            {
                public Model<Tensor> Weights => Method(Hk.GetParam("w", [2L]));
            }
            """);
}
