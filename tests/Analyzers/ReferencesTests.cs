namespace MiniHaiku.Tests.Analyzers;

/// <summary>The test compilations see the runtime, MiniHaiku.Core and TorchSharp, and no unrelated code is flagged.</summary>
public class ReferencesTests
{
    [Fact]
    public async Task CodeUsingMiniHaikuAndTorchCompilesWithoutDiagnostics() =>
        await Verifier<MiniHaiku.Analyzers.ModuleMethodAnalyzer>.VerifyAsync("""
            public static class Program
            {
                public static Model<Tensor> Net(Tensor x) =>
                    from w in Hk.GetParam("w", [x.shape[^1], 3L])
                    select x.matmul(w);
            }
            """);
}
