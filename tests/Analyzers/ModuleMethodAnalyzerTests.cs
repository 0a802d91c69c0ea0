using MiniHaiku.Analyzers;
using Microsoft.CodeAnalysis.Testing;
using Verify = MiniHaiku.Tests.Analyzers.Verifier<MiniHaiku.Analyzers.ModuleMethodAnalyzer>;

namespace MiniHaiku.Tests.Analyzers;

/// <summary>MH0001: a public or internal module method returning a model must go through Method(...).</summary>
public class ModuleMethodAnalyzerTests
{
    [Fact]
    public async Task ACallThatAsksForParametersWithoutMethodIsFlaggedWithTheModuleMethodAndValueType() =>
        await Verify.VerifyAsync("""
            public sealed record Dense(ModuleName Name, int Size) : Module(Name)
            {
                public Model<Tensor> {|#0:Call|}(Tensor x) =>
                    from w in Hk.GetParam("w", [x.shape[^1], Size])
                    select x.matmul(w);
            }
            """,
            Verify.Diagnostic("MH0001").WithLocation(0).WithArguments("Dense", "Call", "Tensor"));

    [Fact]
    public void TheMessageSaysWhatGoesWrongAndHowToFixIt()
    {
        var message = Descriptors.ModuleMethodWithoutMethod.MessageFormat.ToString();
        var text = string.Format(message, "Dense", "Call", "Tensor");
        Assert.Contains("'Dense.Call' returns a Model<Tensor> without going through Method(...)", text);
        Assert.Contains("two instances of Dense silently share them", text);
        Assert.Contains("'{module path}/Call'", text);
        Assert.EndsWith("wrap the body in Method(...)", text);
    }

    [Fact]
    public async Task TheRealLayerPatternsAreClean() =>
        // Linear (both branches through Method), MLP (Method around Hk.Aggregate with submodules), a static factory,
        // an overload that delegates, a query whose Method call sits inside a lambda.
        await Verify.VerifyAsync("""
            public sealed record Dense(ModuleName Name, int Size, bool WithBias) : Module(Name)
            {
                public static Model<Dense> Create(int size, bool withBias = true, string? name = null) =>
                    Hk.Module(n => new Dense(n, size, withBias), name);

                public Model<Tensor> Call(Tensor x)
                {
                    var w = Hk.GetParam("w", [x.shape[^1], Size]);
                    if (!WithBias) return Method(w.Select(x.matmul));
                    return Method(
                        from wv in w
                        from b in Hk.GetParam("b", [Size])
                        select x.matmul(wv) + b, x);
                }

                public Model<Tensor> Call(Tensor x, bool twice) => twice ? from y in Call(x) from z in this.Call(y) select z : Call(x);

                public Model<Tensor> Scaled(Tensor x) => Hk.Pure(x).SelectMany(h => Method(Hk.Pure(h)));
            }

            public sealed record Stack(ModuleName Name, int[] Sizes) : Module(Name)
            {
                public Model<Tensor> Call(Tensor x) =>
                    Method(Hk.Aggregate(Enumerable.Range(0, Sizes.Length), x, (h, i) =>
                        from layer in Dense.Create(Sizes[i])
                        from y in layer.Call(h)
                        select y));
            }
            """);

    [Fact]
    public async Task ALayerBaseWithAProtectedForwardIsCleanAndItsSubclassesToo() =>
        // The Layer base being added to the core: a public Call through Method, a protected abstract Forward.
        await Verify.VerifyAsync("""
            public abstract record LayerBase(ModuleName Name) : Module(Name)
            {
                public Model<Tensor> Call(Tensor x) => Method(Forward(x), x);
                protected abstract Model<Tensor> Forward(Tensor x);
            }

            public sealed record Scale(ModuleName Name) : LayerBase(Name)
            {
                protected override Model<Tensor> Forward(Tensor x) =>
                    from s in Hk.GetParam("s", [1L])
                    select x * s;

                private Model<Tensor> Helper(Tensor x) => Hk.GetParam("h", [1L]);

                public Model<Tensor> Twice(Tensor x) => from y in Call(x) from z in Call(y) select z;
            }
            """);

    [Fact]
    public async Task CallingAProtectedHelperIsNotGoingThroughMethod() =>
        await Verify.VerifyAsync("""
            public abstract record LayerBase(ModuleName Name) : Module(Name)
            {
                public Model<Tensor> Call(Tensor x) => Method(Forward(x), x);
                protected abstract Model<Tensor> Forward(Tensor x);
            }

            public sealed record Scale(ModuleName Name) : LayerBase(Name)
            {
                protected override Model<Tensor> Forward(Tensor x) => Hk.GetParam("s", [1L]);
                public Model<Tensor> {|MH0001:Raw|}(Tensor x) => Forward(x);
            }
            """);

    [Fact]
    public async Task InternalProtectedInternalIndirectlyDerivedAndExplicitInterfaceMembersAreChecked() =>
        await Verify.VerifyAsync("""
            public interface ILayer { Model<Tensor> Call(Tensor x); }

            public record Base(ModuleName Name) : Module(Name);

            public sealed record Derived(ModuleName Name) : Base(Name), ILayer
            {
                internal Model<Tensor> {|MH0001:Inner|}(Tensor x) => Hk.GetParam("w", [1L]);
                protected internal Model<int> {|MH0001:Count|}() => Hk.Pure(1);
                Model<Tensor> ILayer.{|MH0001:Call|}(Tensor x) => Hk.GetParam("w", [1L]);
                public Model<Tensor> Weights => {|MH0001:Hk.GetParam("w", [1L])|}; // a property: on its getter
                public Model<Tensor> Scoped => Method(Hk.GetParam("w", [1L]));
            }
            """);

    [Fact]
    public async Task ABodyThatAsksForNothingIsStillFlagged() =>
        // The rule does not look at what the body does: wrapping is harmless, and bodies change.
        await Verify.VerifyAsync("""
            public sealed record Identity(ModuleName Name) : Module(Name)
            {
                public Model<Tensor> {|MH0001:Call|}(Tensor x) => Hk.Pure(x);
            }
            """);

    [Fact]
    public async Task SubmodulesCreatedWithoutMethodAreFlagged() =>
        await Verify.VerifyAsync("""
            public sealed record Dense(ModuleName Name) : Module(Name)
            {
                public static Model<Dense> Create() => Hk.Module(n => new Dense(n));
                public Model<Tensor> Call(Tensor x) => Method(Hk.GetParam("w", [1L]));
            }

            public sealed record Twice(ModuleName Name) : Module(Name)
            {
                public Model<Tensor> {|MH0001:Call|}(Tensor x) =>
                    from a in Dense.Create()
                    from y in a.Call(x)
                    select y;
            }
            """);

    [Fact]
    public async Task SelfRecursionAndCallsOnAnotherInstanceDoNotCount() =>
        await Verify.VerifyAsync("""
            public sealed record Dense(ModuleName Name, Dense? Other) : Module(Name)
            {
                public Model<Tensor> {|MH0001:Call|}(Tensor x) => x.shape.Length > 5 ? Call(x) : Hk.GetParam("w", [1L]);
                public Model<Tensor> {|MH0001:Borrow|}(Tensor x) => Other!.Scoped(x);
                public Model<Tensor> Scoped(Tensor x) => Method(Hk.GetParam("w", [1L]));
            }
            """);

    [Fact]
    public async Task StaticPrivateProtectedAndNonModelMembersAndNonModulesAreNotChecked() =>
        await Verify.VerifyAsync("""
            public sealed record Dense(ModuleName Name) : Module(Name)
            {
                public static Model<Tensor> Make() => Hk.GetParam("w", [1L]);
                private Model<Tensor> Helper() => Hk.GetParam("w", [1L]);
                private protected Model<Tensor> Helper2() => Hk.GetParam("w", [1L]);
                public Tensor Plain(Tensor x) => x;
                public Model<Tensor> Call(Tensor x) => Method(from a in Helper() from b in Helper2() select a + b);
            }

            public sealed class NotAModule
            {
                public Model<Tensor> Call(Tensor x) => Hk.GetParam("w", [1L]);
            }
            """);

    [Fact]
    public async Task ExplicitSuppressionWithAPragmaIsHonoured() =>
        await Verify.VerifyAsync("""
            public sealed record Shared(ModuleName Name) : Module(Name)
            {
            #pragma warning disable MH0001 // Deliberately in the caller's scope: ties weights with the caller.
                public Model<Tensor> Call(Tensor x) => Hk.GetParam("w", [1L]);
            #pragma warning restore MH0001
            }
            """);

    [Fact]
    public void TheDescriptorIsAUsageWarningWithItsHelpAnchor()
    {
        var d = Descriptors.ModuleMethodWithoutMethod;
        Assert.Equal(("MH0001", "Usage", Microsoft.CodeAnalysis.DiagnosticSeverity.Warning, true),
            (d.Id, d.Category, d.DefaultSeverity, d.IsEnabledByDefault));
        Assert.Equal("docs/analyzers.md#mh0001", d.HelpLinkUri);
    }
}
