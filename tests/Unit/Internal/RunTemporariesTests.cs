using MiniHaiku.Layers;

namespace MiniHaiku.Tests.Internal;

/// <summary>
/// Init and Apply free the tensors a run makes and does not return (what the finalizer thread would otherwise free
/// later), keep everything they return, and keep everything when a result is on an autograd graph or holds tensors
/// out of sight.
/// </summary>
public class RunTemporariesTests
{
    private sealed record Holder(Tensor Value);

    // Subclasses of a list and of a tuple that hold a tensor besides their items.
    private sealed class Outputs(Tensor? hidden) : List<Tensor>
    {
        public Tensor? Hidden { get; } = hidden;
    }

    private sealed class Pair(Tensor a, Tensor b) : Tuple<Tensor>(a)
    {
        public Tensor B { get; } = b;
    }

    // A 2-layer model that also leaks its hidden activation through a side effect, to observe what is freed.
    private static Func<Tensor, Model<T>> Leaky<T>(List<Tensor> seen, Func<Tensor, Tensor, T> result) => x =>
        from h in Linear.Create(4).Call(x)
        let relu = Record(seen, Activations.Relu(h))
        from y in Linear.Create(2).Call(relu)
        select result(relu, y);

    private static Tensor Record(List<Tensor> seen, Tensor t)
    {
        seen.Add(t);
        return t;
    }

    [Fact]
    public void ApplyFreesWhatItDoesNotReturnAndKeepsTheOutput()
    {
        var seen = new List<Tensor>();
        var net = Hk.Transform(Leaky(seen, (_, y) => y));
        using var x = torch.ones(3, 5);
        var p = net.Init(0, x);
        seen.Clear();
        using var y = net.Apply(p, x);
        Assert.True(seen.Single().IsInvalid, "the hidden activation is freed when Apply returns");
        Assert.False(y.IsInvalid);
        Assert.Equal([3L, 2L], y.shape);
        Assert.All(p.Values, t => Assert.False(t.IsInvalid));
        Assert.False(x.IsInvalid);
    }

    [Fact]
    public void TuplesArraysAndListsOfTensorsAreKeptWhole()
    {
        var seen = new List<Tensor>();
        var tuple = Hk.Transform(Leaky(seen, (h, y) => (h, new[] { y }, new List<Tensor> { y.sum() }, 3, "label")));
        using var x = torch.ones(3, 5);
        var p = tuple.Init(0, x);
        var (h, ys, sums, n, label) = tuple.Apply(p, x);
        Assert.False(h.IsInvalid);
        Assert.False(ys[0].IsInvalid);
        Assert.False(sums[0].IsInvalid);
        Assert.Equal(3, n);
        Assert.Equal("label", label);
        Assert.Equal((h.matmul(p["~/Linear_1/__call__/w"]) + p["~/Linear_1/__call__/b"]).data<float>().ToArray(), ys[0].data<float>().ToArray());
    }

    [Fact]
    public void AnOutputWithTensorsOutOfSightFreesNothing()
    {
        var seen = new List<Tensor>();
        var net = Hk.Transform(Leaky(seen, (_, y) => new Holder(y)));
        using var x = torch.ones(3, 5);
        var p = net.Init(0, x);
        seen.Clear();
        var held = net.Apply(p, x);
        Assert.False(held.Value.IsInvalid);
        Assert.False(seen.Single().IsInvalid, "a record may reach any tensor of the run: nothing is freed");
    }

    [Fact]
    public void SubclassesOfListsAndTuplesFreeNothing()
    {
        var seen = new List<Tensor>();
        var list = Hk.Transform(Leaky(seen, (h, y) => new Outputs(h) { y }));
        var tuple = Hk.Transform(Leaky(seen, (h, y) => new Pair(y, h)));
        using var x = torch.ones(3, 5);
        var p = list.Init(0, x);
        var outputs = list.Apply(p, x);
        Assert.False(outputs.Hidden!.IsInvalid, "a List<Tensor> subclass may hold tensors in its own members");
        Assert.False(outputs[0].IsInvalid);
        var pair = tuple.Apply(p, x);
        Assert.False(pair.B.IsInvalid, "a Tuple<Tensor> subclass may hold tensors in its own members");
        Assert.False(pair.Item1.IsInvalid);
        Assert.False(RunTemporaries.TryCollect(new Outputs(null), [], 0));
    }

    [Fact]
    public void ADisposedStateEntryPassedThroughIsNotTouched()
    {
        var net = Hk.TransformWithState(((Tensor X, bool Training) input) =>
            from y in Linear.Create(2).Call(input.X)
            from _ in input.Training
                ? from count in Hk.GetState("count", [], Initializers.Zeros()) from c in Hk.SetState("count", count + 1) select c
                : Hk.Pure(y)
            select y);
        using var x = torch.ones(3, 5);
        var (p, state) = net.Init(0, (x, true));
        state["~/count"].Dispose();
        var (y, next) = net.Apply(p, state, (x, false)); // the entry is not read: it passes through as it was given
        Assert.False(y.IsInvalid);
        Assert.True(next["~/count"].IsInvalid);
    }

    [Fact]
    public void AFailedRunFreesWhatItMade()
    {
        var seen = new List<Tensor>();
        var net = Hk.Transform(Leaky(seen, (_, y) => y));
        using var x = torch.ones(3, 5);
        var p = net.Init(0, x);
        seen.Clear();
        using var extra = torch.zeros(1);
        Assert.Throws<UnusedParametersException>(() => net.Apply(p.With("~/unused", extra), x));
        Assert.True(seen.Single().IsInvalid);
        Assert.False(extra.IsInvalid);
    }

    [Fact]
    public void AResultOnAnAutogradGraphFreesNothing()
    {
        var seen = new List<Tensor>();
        var net = Hk.Transform(Leaky(seen, (_, y) => y));
        using var x = torch.ones(3, 5);
        var p = net.Init(0, x).Map(t => t.detach().requires_grad_(true));
        seen.Clear();
        var y = net.Apply(p, x);
        Assert.True(y.requires_grad);
        Assert.False(seen.Single().IsInvalid, "a later backward pass may need what the run made");
        y.sum().backward();
        Assert.NotNull(p["~/Linear_0/__call__/w"].grad);
    }

    [Fact]
    public void RematBackwardAfterApplyStillWorks()
    {
        var net = Hk.Transform((Tensor x) =>
            from h in Linear.Create(4).Call(x)
            from r in Hk.Remat(a => Linear.Create(4).Call(Activations.Relu(a)))(h)
            select r.sum());
        using var x = torch.ones(3, 5);
        var p = net.Init(0, x).Map(t => t.detach().requires_grad_(true));
        var loss = net.Apply(p, x);
        loss.backward();
        Assert.All(p.Values, t => Assert.NotNull(t.grad));
    }

    [Fact]
    public void InitKeepsParametersAndInitialStateAndFreesItsForwardPass()
    {
        var seen = new List<Tensor>();
        var net = Hk.TransformWithState((Tensor x) =>
            from h in Linear.Create(4).Call(x)
            let relu = Record(seen, Activations.Relu(h))
            from _ in Hk.SetState("mean", relu.mean([0L]))
            select relu);
        using var x = torch.ones(3, 5);
        var (p, state) = net.Init(0, x);
        Assert.True(seen.Single().IsInvalid, "Init's forward output is not returned");
        Assert.All(p.Values, t => Assert.False(t.IsInvalid));
        Assert.All(state.Values, t => Assert.False(t.IsInvalid));
        seen.Clear();
        var (y, next) = net.Apply(p, state, x);
        Assert.False(y.IsInvalid);
        Assert.All(next.Values, t => Assert.False(t.IsInvalid));
        Assert.Equal(y.mean([0L]).data<float>().ToArray(), next["~/mean"].data<float>().ToArray());
    }

    [Fact]
    public void TheOutputJoinsTheCallersDisposeScope()
    {
        var net = Hk.Transform((Tensor x) => from y in Linear.Create(2).Call(x) select Activations.Relu(y));
        using var x = torch.ones(3, 5);
        var p = net.Init(0, x);
        Tensor y;
        using (torch.NewDisposeScope())
        {
            y = net.Apply(p, x);
            Assert.False(y.IsInvalid);
        }
        Assert.True(y.IsInvalid, "the caller's scope owns the output");
        Assert.All(p.Values, t => Assert.False(t.IsInvalid));
    }

    [Fact]
    public void CollectFindsEveryTensorOrGivesUp()
    {
        using var a = torch.zeros(1);
        using var b = torch.zeros(2);
        var found = new List<IDisposable>();
        Assert.True(RunTemporaries.TryCollect((a, new object[] { b, 1.5, "s", null! }, Tuple.Create(a)), found, 0));
        Assert.Equal(3, found.Count);
        Assert.Contains(b, found);
        Assert.False(RunTemporaries.TryCollect(new Holder(a), [], 0));
        Assert.False(RunTemporaries.TryCollect(new Dictionary<string, Tensor> { ["a"] = a }, [], 0));
        object[] cyclic = new object[1];
        cyclic[0] = cyclic;
        Assert.False(RunTemporaries.TryCollect(cyclic, [], 0));
    }
}

