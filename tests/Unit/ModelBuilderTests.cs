namespace MiniHaiku.Tests;

/// <summary>The F# computation-expression builder, driven from C# the way F# desugars <c>model { … }</c>.</summary>
public class ModelBuilderTests
{
    private static readonly ModelBuilder B = ModelBuilder.Instance;

    [Fact]
    public void BindAndReturnBuildAModelWithParameters()
    {
        // model { let! w = Hk.GetParam("w", [|3L; 4L|]); let! b = Hk.GetParam("b", [|4L|]); return x.matmul(w) + b }
        var f = Hk.Transform((Tensor x) => B.Delay(() =>
            B.Bind(Hk.GetParam("w", [3, 4]), w =>
            B.Bind(Hk.GetParam("b", [4]), b =>
            B.Return(x.matmul(w) + b)))));
        var p = f.Init(0, ones(2, 3));
        Assert.Equal("{'~/b': (4,), '~/w': (3, 4)}", p.Shapes().ToString());
        Assert.True(f.Apply(p, ones(2, 3)).allclose(ones(2, 3).matmul(p["~/w"]) + p["~/b"]));
    }

    [Fact]
    public void ReturnFromZeroAndCombine()
    {
        var m = Hk.Pure(5);
        Assert.Same(m, B.ReturnFrom(m));
        Assert.Null(B.Zero<object>().Run(Frame.ForInit(0)).Value);
        var log = new List<string>();
        var first = ModelOps.Lift<object?>(f => { log.Add("first"); return (null, f); });
        var combined = B.Combine(first, B.Delay(() => { log.Add("second"); return Hk.Pure(7); }));
        Assert.Empty(log);
        Assert.Equal(7, combined.Run(Frame.ForInit(0)).Value);
        Assert.Equal(["first", "second"], log);
    }

    [Fact]
    public void DelayRebuildsTheBodyOnEveryRun()
    {
        var built = 0;
        var m = B.Delay(() => { built++; return Hk.Pure(built); });
        Assert.Equal(0, built);
        Assert.Equal(1, m.Run(Frame.ForInit(0)).Value);
        Assert.Equal(2, m.Run(Frame.ForInit(0)).Value);
    }

    [Fact]
    public void ForRunsTheBodyPerItemAndCreatesAModulePerIteration()
    {
        var f = Hk.Transform((Tensor x) => B.For(new[] { 2, 3 }, w =>
            B.Bind(Hk.Module(n => new Support.Linear(n, w)), l => l.Call(x))));
        Assert.Equal(["~/Linear_0/__call__/W", "~/Linear_0/__call__/b", "~/Linear_1/__call__/W", "~/Linear_1/__call__/b"],
            f.Init(0, ones(1, 2)).Keys);
        Assert.Null(B.For(Array.Empty<int>(), i => Hk.Pure<object?>(i)).Run(Frame.ForInit(0)).Value);
        Assert.Equal(9, B.For(new[] { 1, 5, 9 }, Hk.Pure).Run(Frame.ForInit(0)).Value);
    }

    [Fact]
    public void ForOverAHundredThousandItemsRunsInConstantStack()
    {
        var total = 0L;
        var m = B.For(Enumerable.Range(0, 100_000), i => ModelOps.Lift<object?>(f => { total += i; return (null, f); }));
        m.Run(Frame.ForInit(0));
        Assert.Equal(4_999_950_000L, total);
    }

    [Fact]
    public void WhileLoopsWhileTheGuardHoldsInConstantStack()
    {
        var i = 0;
        var keys = new HashSet<RngKey>();
        var m = B.While(() => i < 100_000, B.Delay(() => B.Bind(Hk.NextRngKey(), k => { keys.Add(k); i++; return B.Zero<object>(); })));
        m.Run(Frame.ForInit(0));
        Assert.Equal(100_000, i);
        Assert.Equal(100_000, keys.Count);
        var never = B.While(() => false, ModelOps.Lift<object?>(_ => throw new InvalidOperationException("body ran")));
        Assert.Null(never.Run(Frame.ForInit(0)).Value);
    }
}

/// <summary>F#'s <c>for x in xs do printfn …; let! …</c> builds each body when it runs, in order.</summary>
public class ModelBuilderForOrderTests
{
    [Theory]
    [InlineData("array")]
    [InlineData("list")]
    [InlineData("lazy")]
    public void ForBuildsEachBodyJustBeforeRunningIt(string kind)
    {
        var log = new List<string>();
        IEnumerable<int> items = kind switch
        {
            "array" => [0, 1, 2],
            "list" => new List<int> { 0, 1, 2 },
            _ => Enumerable.Range(0, 3).Where(_ => true),
        };
        var m = ModelBuilder.Instance.For(items, i =>
        {
            log.Add("build " + i);
            return ModelOps.Lift<int>(f => { log.Add("run " + i); return (i, f); });
        });
        Assert.Equal(2, m.Run(Frame.ForInit(0)).Value);
        Assert.Equal(["build 0", "run 0", "build 1", "run 1", "build 2", "run 2"], log);
    }
}
