namespace MiniHaiku.Tests;

public class ParamsTreeTests
{
    private static Params P(params (string Key, double[] Values)[] entries) =>
        Params.Create(entries.Select(e => new KeyValuePair<string, Tensor>(e.Key, torch.tensor(e.Values, float64))));

    private static double[] V(Tensor t) => t.data<double>().ToArray();

    private static readonly Params X = P(("~/a", [1.0, -2.0]), ("~/b", [3.0]));
    private static readonly Params Y = P(("~/a", [0.5, 4.0]), ("~/b", [-1.0]));

    [Fact]
    public void ArithmeticIsEntryWise()
    {
        Assert.Equal([1.5, 2.0], V(X.Add(Y)["~/a"]));
        Assert.Equal([4.0], V(X.Subtract(Y)["~/b"]));
        Assert.Equal([-3.0, 6.0], V(X.Scale(-3)["~/a"]));
        Assert.Equal(0.5 - 8 - 3, X.Vdot(Y).item<double>());
        Assert.Equal(float64, X.Vdot(Y).dtype);
    }

    [Fact]
    public void NormsFollowOptax()
    {
        Assert.Equal(Math.Sqrt(14), X.Norm().item<double>(), 12);
        Assert.Equal(14, X.Norm(squared: true).item<double>(), 12);
        Assert.Equal(6, X.Norm(1).item<double>(), 12);
        Assert.Equal(3, X.Norm(double.PositiveInfinity).item<double>(), 12);
        Assert.Equal(0, Params.Empty.Norm().item<double>());
        Assert.Throws<ModelUsageException>(() => X.Norm(3));
    }

    [Fact]
    public void BinaryOperationsNeedTheSameKeys()
    {
        var other = P(("~/a", [1.0, 1.0]));
        Assert.ThrowsAny<MiniHaikuException>(() => X.Add(other));
        Assert.ThrowsAny<MiniHaikuException>(() => X.Vdot(other));
    }

    [Fact]
    public void CastConvertsOnlyWhatDiffers()
    {
        var mixed = Params.Create([new("~/f", torch.ones(2, float32)), new("~/d", torch.ones(2, float64))]);
        var cast = mixed.Cast(float32);
        Assert.All(cast.Values, t => Assert.Equal(float32, t.dtype));
        Assert.Same(mixed["~/f"], cast["~/f"]);
    }

    [Fact]
    public void WhereSelectsPerEntryAndRejectsNonBooleanConditions()
    {
        var cond = Params.Create([new("~/a", torch.tensor(new[] { true, false })), new("~/b", torch.tensor(false))]);
        var w = ParamsTree.Where(cond, X, Y);
        Assert.Equal([1.0, 4.0], V(w["~/a"]));
        Assert.Equal([-1.0], V(w["~/b"]));
        Assert.ThrowsAny<MiniHaikuException>(() => ParamsTree.Where(X, X, Y));
    }

    [Fact]
    public void PartitionAndMergeRoundTrip()
    {
        var (selected, others) = X.Partition(path => path.EndsWith('a'));
        Assert.Equal(["~/a"], selected.Keys);
        Assert.Equal(["~/b"], others.Keys);
        Assert.True(ParamsTree.Merge(selected, others).BitwiseEquals(X));
        Assert.ThrowsAny<MiniHaikuException>(() => ParamsTree.Merge(X, selected));
    }

    [Fact]
    public void ArithmeticIsDifferentiable()
    {
        var x = Params.Create([new("~/a", torch.tensor(new[] { 1.0, 2.0 }, float64, requires_grad: true))]);
        x.Vdot(x).backward();
        Assert.Equal([2.0, 4.0], V(x["~/a"].grad!));
    }
}
