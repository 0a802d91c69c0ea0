namespace MiniHaiku.Tests;

/// <summary>Frame: the immutable record a model threads.</summary>
public class FrameTests
{
    [Fact]
    public void ForInitStartsAtTheRootWithKeysFromTheSeed()
    {
        var f = Frame.ForInit(3);
        Assert.True(f.IsInitializing);
        Assert.False(f.StateAllowed);
        Assert.True(Frame.ForInit(3, withState: true).StateAllowed);
        Assert.Equal("~", f.CurrentScope.Path);
        Assert.Single(f.Scopes);
        Assert.Empty(f.Params);
        Assert.Empty(f.State);
        Assert.Empty(f.ReadParams);
        Assert.Equal(RngKey.FromSeed(3), f.InitKey);
        Assert.Equal(RngKey.FromSeed(3).Fold("rng"), f.Rng);
    }

    [Fact]
    public void ForApplyReadsTheGivenParamsAndHasAKeyOnlyWhenGiven()
    {
        var p = Params.Empty.With("~/w", torch.ones(1));
        var f = Frame.ForApply(p);
        Assert.False(f.IsInitializing);
        Assert.Same(p, f.Params);
        Assert.Null(f.Rng);
        Assert.Equal(RngKey.FromSeed(1).Fold("rng"), Frame.ForApply(p, rng: RngKey.FromSeed(1)).Rng);
        Assert.False(f.SkippedBranches);
        Assert.Throws<ArgumentNullException>(() => Frame.ForApply(null!));
    }

    [Fact]
    public void RunningAModelNeverChangesTheFrameItStartedFrom()
    {
        var start = Frame.ForInit(0, withState: true);
        var m = from w in Hk.GetParam("w", [2])
                from s in Hk.SetState("s", torch.zeros(1))
                from k in Hk.NextRngKey()
                from l in Hk.Module(n => new Support.Linear(n, 1))
                select w;
        var (_, end) = m.Run(start);
        Assert.Empty(start.Params);
        Assert.Empty(start.State);
        Assert.Empty(start.CurrentScope.Names);
        Assert.Equal(RngKey.FromSeed(0).Fold("rng"), start.Rng);
        Assert.Equal(["~/w"], end.Params.Keys);
        Assert.Equal(["Linear_0"], end.CurrentScope.Names);
        Assert.NotEqual(start.Rng, end.Rng);
    }

    [Fact]
    public void EachRunHasItsOwnReadLogSoConcurrentAppliesNeverMixTheirReads()
    {
        var f = Hk.Transform((bool first) =>
            Hk.Cond(first,
                from w in Hk.GetParam("a", [1]) select w,
                from w in Hk.GetParam("b", [1]) select w));
        var p = f.Init(0, true);
        var model = f.Function;
        var results = new System.Collections.Concurrent.ConcurrentBag<(bool, string[])>();
        Parallel.For(0, 64, i =>
        {
            var (_, frame) = model(i % 2 == 0).Run(Frame.ForApply(p));
            results.Add((i % 2 == 0, frame.ReadParams.ToArray()));
        });
        foreach (var (first, reads) in results)
            Assert.Equal([first ? "~/Cond_0/when_true/a" : "~/Cond_0/when_false/b"], reads);
        // A run started from the frame of another run's start sees none of the other's reads.
        Assert.Empty(Frame.ForApply(p).ReadParams);
    }

    [Fact]
    public void PopScopeToReturnsTheFrameBeforeOnlyWhenTheBodyChangedNothingElse()
    {
        var before = Frame.ForApply(Params.Empty.With("~/w", torch.ones(1)), state: Params.Empty.With("~/s", torch.zeros(1)));
        var pushed = before.PushScope("~/m");
        Assert.Same(before, pushed.PopScopeTo(before));
        // Names handed out inside the scope are discarded on leaving: still the frame before.
        Assert.Same(before, pushed.WithScope(pushed.CurrentScope with { Names = pushed.CurrentScope.Names.Add("Linear_0", "Linear", 1) }).PopScopeTo(before));

        Frame[] changed =
        [
            pushed with { State = Params.Empty },
            pushed with { Params = Params.Empty },
            pushed with { InitialState = Params.Empty.With("~/s", torch.zeros(1)) },
            pushed with { Rng = RngKey.FromSeed(1) },
            pushed with { Extras = FrameExtras.None with { StateHidden = true } },
            pushed with { Run = before.Run.WithoutRecording() },
        ];
        foreach (var after in changed)
        {
            var popped = after.PopScopeTo(before);
            Assert.NotSame(before, popped);
            Assert.Equal(after.PopScope(), popped);
        }
    }

    [Fact]
    public void PopScopeToComparesEveryPropertyOfTheFrame()
    {
        // Frame.PopScopeTo compares these properties by reference: a property added to Frame must be added there and here.
        var properties = typeof(Frame).GetProperties(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public)
            .Where(p => p.SetMethod is not null).Select(p => p.Name).Order(StringComparer.Ordinal);
        Assert.Equal(["CurrentScope", "Extras", "InitialState", "Params", "Rng", "Run", "State"], properties);
    }
}
