using MiniHaiku.Analyzers;
using Verify = MiniHaiku.Tests.Analyzers.Verifier<MiniHaiku.Analyzers.DroppedModelAnalyzer>;

namespace MiniHaiku.Tests.Analyzers;

/// <summary>MH0002 (a model built as a statement and dropped) and MH0003 (a model local never read).</summary>
public class DroppedModelAnalyzerTests
{
    [Fact]
    public async Task ASetStateOnItsOwnLineIsFlaggedNamingTheCall() =>
        await Verify.VerifyAsync("""
            public static class Program
            {
                public static Model<Tensor> Counter(Tensor x)
                {
                    {|#0:Hk.SetState("n", x)|};
                    return Hk.GetState("n");
                }
            }
            """,
            Verify.Diagnostic("MH0002").WithLocation(0).WithArguments("call to 'Hk.SetState'", "Tensor"));

    [Fact]
    public async Task ALayerCallOnItsOwnLineAndOtherDroppedModelExpressionsAreFlagged() =>
        await Verify.VerifyAsync("""
            public sealed record Dense(ModuleName Name) : Module(Name)
            {
                public Model<Tensor> Call(Tensor x) => Method(Hk.GetParam("w", [1L]));
            }

            public static class Program
            {
                public static Model<Tensor> Net(Dense layer, Dense? maybe, Tensor x, Model<int> m)
                {
                    {|MH0002:layer.Call(x)|};
                    {|MH0002:maybe?.Call(x)|};
                    {|MH0002:m.Select(i => i + 1)|};
                    Action later = () => {|MH0002:layer.Call(x)|};
                    return layer.Call(x);
                }
            }
            """);

    [Fact]
    public async Task BoundAssignedReturnedDiscardedAndNonModelStatementsAreClean() =>
        await Verify.VerifyAsync("""
            public static class Program
            {
                private static Model<Tensor>? stored;
                public static Model<Tensor> Net(Tensor x)
                {
                    Model<Tensor> m;
                    m = Hk.GetParam("w", [1L]);
                    stored = m;
                    _ = Hk.SetState("n", x);
                    Console.WriteLine("not a model");
                    x.add_(1);
                    return from w in m
                           from _ in Hk.SetState("n", w)
                           select w;
                }
            }
            """);

    [Fact]
    public async Task AModelLocalThatIsNeverReadIsFlagged() =>
        await Verify.VerifyAsync("""
            public static class Program
            {
                public static Model<Tensor> Net(Tensor x)
                {
                    var {|#0:update|} = Hk.SetState("n", x);
                    Model<Tensor> {|MH0003:overwritten|} = Hk.Pure(x);
                    overwritten = Hk.Pure(x);
                    return Hk.GetState("n");
                }
            }
            """,
            Verify.Diagnostic("MH0003").WithLocation(0).WithArguments("update", "Tensor"));

    [Fact]
    public async Task ModelLocalsReadAnywhereIncludingLambdasAreClean() =>
        await Verify.VerifyAsync("""
            public static class Program
            {
                public static Model<Tensor> Net(Tensor x)
                {
                    var w = Hk.GetParam("w", [1L]);
                    var b = Hk.GetParam("b", [1L]);
                    var _ = Hk.Pure(1);
                    Func<Model<Tensor>> later = () => b;
                    foreach (var unused in new[] { Hk.Pure(x) }) { }
                    return from wv in w from bv in later() select wv + bv;
                }
            }
            """);

    [Fact]
    public async Task ExplicitSuppressionWithAPragmaIsHonoured() =>
        await Verify.VerifyAsync("""
            public static class Program
            {
                public static Model<Tensor> Net(Tensor x)
                {
            #pragma warning disable MH0002 // A test of what a dropped model does.
                    Hk.SetState("n", x);
            #pragma warning restore MH0002
                    return Hk.Pure(x);
                }
            }
            """);

    [Fact]
    public void TheDescriptorsAreUsageWarningsWithTheirHelpAnchors()
    {
        foreach (var (d, id) in new[] { (Descriptors.DroppedModel, "MH0002"), (Descriptors.UnreadModelLocal, "MH0003") })
        {
            Assert.Equal((id, "Usage", Microsoft.CodeAnalysis.DiagnosticSeverity.Warning, true),
                (d.Id, d.Category, d.DefaultSeverity, d.IsEnabledByDefault));
            Assert.Equal("docs/analyzers.md#" + id.ToLowerInvariant(), d.HelpLinkUri);
        }
    }
}
