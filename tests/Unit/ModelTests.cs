namespace MiniHaiku.Tests;

/// <summary>Model&lt;T&gt;: composition and the stack-safe interpreter.</summary>
public class ModelTests
{
    /// <summary>
    /// Runs <paramref name="run"/> on a thread with a 256 KB stack, far less than 10,000 nested frames of any
    /// recursive interpreter need, so a test that passes here really runs in constant stack. (A stack
    /// overflow ends the test process, which fails the run.)
    /// </summary>
    public static T OnSmallStack<T>(Func<T> run)
    {
        T result = default!;
        Exception? error = null;
        var t = new Thread(() => { try { result = run(); } catch (Exception e) { error = e; } }, maxStackSize: 256 * 1024);
        t.Start();
        t.Join();
        if (error is not null) throw new InvalidOperationException("failed on the small-stack thread", error);
        return result;
    }

    [Fact]
    public void LeftNestedChainOfTenThousandBindsRuns()
    {
        var m = Hk.Pure(0);
        for (var i = 0; i < 10_000; i++) m = m.SelectMany(x => Hk.Pure(x + 1));
        Assert.Equal(10_000, OnSmallStack(() => m.Run(Frame.ForInit(0)).Value));
    }

    [Fact]
    public void RightNestedChainOfTenThousandBindsRuns()
    {
        static Model<int> Chain(int n, int acc) => n == 0 ? Hk.Pure(acc) : Hk.Pure(acc).SelectMany(a => Chain(n - 1, a + 1));
        Assert.Equal(10_000, OnSmallStack(() => Chain(10_000, 0).Run(Frame.ForInit(0)).Value));
    }

    [Fact]
    public void DeepChainsOfSelectAndGetParamRunAndCreateOneParameter()
    {
        var m = Hk.Pure(0.0);
        for (var i = 0; i < 10_000; i++)
            m = i % 2 == 0 ? m.Select(x => x + 1) : m.SelectMany(x => Hk.GetParam("w", [1]).Select(_ => x + 1));
        var f = Hk.Transform((int _) => m);
        var p = f.Init(0, 0);
        Assert.Equal(["~/w"], p.Keys);
        Assert.Equal(10_000.0, f.Apply(p, 0));
    }

    [Fact]
    public void ARightNestedChainBuiltLazilyOfAHundredThousandStepsRuns()
    {
        static Model<long> Count(long n, long acc) => n == 0 ? Hk.Pure(acc) : Hk.Pure(n).SelectMany(k => Count(k - 1, acc + k));
        Assert.Equal(5_000_050_000L, OnSmallStack(() => Count(100_000, 0).Run(Frame.ForInit(0)).Value));
    }

    [Fact]
    public void ThreeArgumentSelectManyIsQuerySyntax()
    {
        var m = from a in Hk.Pure(2) from b in Hk.Pure(3) from c in Hk.Pure(a * b) select (a, b, c);
        Assert.Equal((2, 3, 6), m.Run(Frame.ForInit(0)).Value);
    }

    [Fact]
    public void BindAndThenSequence()
    {
        var log = new List<int>();
        var first = ModelOps.Lift<int>(f => { log.Add(1); return (1, f); });
        var second = ModelOps.Lift<string>(f => { log.Add(2); return ("two", f); });
        Assert.Equal("two", first.Then(second).Run(Frame.ForInit(0)).Value);
        Assert.Equal(4, first.Bind(x => Hk.Pure(x + 3)).Run(Frame.ForInit(0)).Value);
        Assert.Equal([1, 2, 1], log);
    }

    [Fact]
    public void AModelIsADescriptionBuildingRunsNothingAndEachRunStartsFresh()
    {
        var runs = 0;
        var m = ModelOps.Lift<int>(f => (++runs, f)).SelectMany(x => Hk.GetParam("w", [1]).Select(_ => x));
        Assert.Equal(0, runs);
        var (a, fa) = m.Run(Frame.ForInit(0));
        var (b, fb) = m.Run(Frame.ForInit(0));
        Assert.Equal((1, 2), (a, b));
        Assert.True(fa.Params.BitwiseEquals(fb.Params));
    }

    [Fact]
    public void CustomPrimitiveModelsSeeAndReturnFrames()
    {
        var m = ModelOps.Lift<bool>(f => (f.Rng is not null, f with { Rng = null }))
            .SelectMany(before => Hk.MaybeNextRngKey().Select(after => (before, after is not null)));
        Assert.Equal((true, false), m.Run(Frame.ForInit(0)).Value);
    }

    [Fact]
    public void ExceptionsPropagateOutOfRun()
    {
        var m = Hk.Pure(1).SelectMany<int>(_ => throw new InvalidOperationException("boom"));
        Assert.Equal("boom", Assert.Throws<InvalidOperationException>(() => m.Run(Frame.ForInit(0))).Message);
    }

    [Fact]
    public void NullArgumentsAreRejected()
    {
        Assert.Throws<ArgumentNullException>(() => Hk.Pure(1).Select<int>(null!));
        Assert.Throws<ArgumentNullException>(() => Hk.Pure(1).SelectMany<int>(null!));
        Assert.Throws<ArgumentNullException>(() => Hk.Pure(1).Run(null!));
        Assert.Throws<ArgumentNullException>(() => ModelOps.Lift<int>((Func<Frame, (int, Frame)>)null!));
    }
}
