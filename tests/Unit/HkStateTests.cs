namespace MiniHaiku.Tests;

/// <summary>Hk.GetState / Hk.SetState and TransformWithState: Haiku's state rules.</summary>
public class HkStateTests
{
    /// <summary>A running mean: count and sum states, plus a parameter.</summary>
    private sealed record Counter(ModuleName Name) : Module(Name)
    {
        public Model<Tensor> Call(Tensor x) => Method(
            from w in Hk.GetParam("w", [1], Initializers.Ones())
            from n in Hk.GetState("n", [], Initializers.Zeros())
            from s in Hk.GetState("sum", [], Initializers.Constant(10))
            from n2 in Hk.SetState("n", n + 1)
            from s2 in Hk.SetState("sum", s + x.sum())
            select s2 / n2 * w);
    }

    private static readonly TransformedWithState<Tensor, Tensor> Model =
        Hk.TransformWithState((Tensor x) => from c in Hk.Module(n => new Counter(n)) from y in c.Call(x) select y);

    [Fact]
    public void InitReturnsTheFirstValueEachStateTookAndApplyTheCurrentOnes()
    {
        var (p, s0) = Model.Init(0, ones(2));
        Assert.Equal(["~/Counter_0/__call__/w"], p.Keys);
        Assert.Equal(["~/Counter_0/__call__/n", "~/Counter_0/__call__/sum"], s0.Keys);
        Assert.Equal(0f, s0["~/Counter_0/__call__/n"].item<float>());
        Assert.Equal(10f, s0["~/Counter_0/__call__/sum"].item<float>());

        var (y1, s1) = Model.Apply(p, s0, ones(2) * 3);
        Assert.Equal(1f, s1["~/Counter_0/__call__/n"].item<float>());
        Assert.Equal(16f, s1["~/Counter_0/__call__/sum"].item<float>());
        Assert.Equal(16f, y1.item<float>());
        var (y2, s2) = Model.Apply(p, s1, ones(2));
        Assert.Equal(2f, s2["~/Counter_0/__call__/n"].item<float>());
        Assert.Equal(18f, s2["~/Counter_0/__call__/sum"].item<float>());
        Assert.Equal(9f, y2.item<float>());
        // Inputs untouched: s0 and s1 still hold their values.
        Assert.Equal(0f, s0["~/Counter_0/__call__/n"].item<float>());
        Assert.Equal(1f, s1["~/Counter_0/__call__/n"].item<float>());
    }

    [Fact]
    public void SetStateBeforeAnyGetStateMakesThatTheInitialValue()
    {
        var f = Hk.TransformWithState((int _) =>
            from a in Hk.SetState("s", torch.tensor(5f))
            from b in Hk.SetState("s", torch.tensor(7f))
            from c in Hk.GetState("s")
            select c);
        var (_, s0) = f.Init(0, 0);
        Assert.Equal(5f, s0["~/s"].item<float>());
        var (v, s1) = f.Apply(Params.Empty, s0, 0);
        Assert.Equal(7f, v.item<float>());
        Assert.Equal(7f, s1["~/s"].item<float>());
    }

    [Fact]
    public void SetStateKeepsTheTensorItIsGivenEvenWhenItsValuesAreUnchanged()
    {
        var latest = torch.zeros(2, dtype: ScalarType.Float64);
        var f = Hk.TransformWithState((Tensor v) => from s in Hk.GetState("s", [2]) from t in Hk.SetState("s", v) select t);
        var (p, s0) = f.Init(0, zeros(2));
        var (_, s1) = f.Apply(p, s0, latest);
        Assert.Same(latest, s1["~/s"]);
        Assert.Equal(ScalarType.Float64, s1["~/s"].dtype);
    }

    [Fact]
    public void ParametersAreFrozenDuringApply()
    {
        var (p, s0) = Model.Init(0, ones(2));
        var copy = p.Map(t => t.clone());
        var state = s0;
        for (var i = 0; i < 3; i++) state = Model.Apply(p, state, ones(2)).State;
        Assert.True(p.BitwiseEquals(copy));
        // Apply never creates a parameter, even with an initializer at hand.
        var grows = Hk.TransformWithState((int _) => Hk.GetParam("new", [1], Initializers.Zeros()));
        Assert.Throws<MissingParameterException>(() => grows.Apply(Params.Empty, Params.Empty, 0));
    }

    [Fact]
    public void StateUnderPlainTransformSaysToUseTransformWithState()
    {
        var f = Hk.Transform((int _) => Hk.GetState("count", [], Initializers.Zeros()));
        var e = Assert.Throws<StatefulTransformRequiredException>(() => f.Init(0, 0));
        Assert.Equal("~/count", e.Path);
        Assert.Equal("State '~/count' was used, but the model was transformed with Hk.Transform, which has no state. " +
                     "Use Hk.TransformWithState(f): its Init returns (Params, State) and its Apply takes and returns the state.", e.Message);
        var g = Hk.Transform((int _) => Hk.SetState("count", ones(1)));
        Assert.Throws<StatefulTransformRequiredException>(() => g.Init(0, 0));
        Assert.Throws<StatefulTransformRequiredException>(() => g.Apply(Params.Empty, 0));
    }

    [Fact]
    public void MissingStateInApplyNamesThePath()
    {
        var (p, _) = Model.Init(0, ones(2));
        var e = Assert.Throws<MissingParameterException>(() => Model.Apply(p, Params.Empty, ones(2)));
        Assert.Equal("Missing state '~/Counter_0/__call__/n': Apply never creates states, it only reads what Init made. " +
                     "The state map given to Apply is empty. Pass the result of Init (or a checkpoint of this same model).", e.Message);
    }

    [Fact]
    public void StateShapeMismatchesAreReported()
    {
        var (p, s0) = Model.Init(0, ones(2));
        var wrong = s0.With("~/Counter_0/__call__/n", zeros(3));
        var e = Assert.Throws<ShapeMismatchException>(() => Model.Apply(p, wrong, ones(2)));
        Assert.Equal("Shape mismatch for '~/Counter_0/__call__/n': the model asks for () but the stored value has (3,). " +
                     "The state was made for a different input size or model; re-run Init.", e.Message);
        var set = Hk.TransformWithState((int _) => from a in Hk.GetState("s", [2]) from b in Hk.SetState("s", zeros(3)) select b);
        var e2 = Assert.Throws<ShapeMismatchException>(() => set.Init(0, 0));
        Assert.Contains("SetState must keep a state's shape.", e2.Message);
    }

    [Fact]
    public void StateInitialValuesDependOnSeedAndPathAndAreDeterministic()
    {
        var f = Hk.TransformWithState((int _) => Hk.GetState("r", [50], Initializers.RandomNormal()));
        Assert.True(f.Init(1, 0).State.BitwiseEquals(f.Init(1, 0).State));
        Assert.False(f.Init(1, 0).State.BitwiseEquals(f.Init(2, 0).State));
    }

    [Fact]
    public void ApplyWithSeedDrawsKeysAndUpdatesState()
    {
        var f = Hk.TransformWithState((int _) =>
            from k in Hk.NextRngKey()
            from s in Hk.SetState("last", torch.tensor((long)(k.Lo >> 1)))
            select s);
        var (p, s0) = f.Init(0, 0);
        var (a, sa) = f.Apply(p, s0, 0, 1L);
        var (b, _) = f.Apply(p, s0, 0, RngKey.FromSeed(1));
        Assert.True(a.Equals(b));
        Assert.True(sa["~/last"].Equals(a));
        Assert.Throws<MissingRngException>(() => f.Apply(p, s0, 0));
    }

    [Fact]
    public void StatefulUnusedParamsCheckAndAllowUnusedParams()
    {
        var (p, s0) = Model.Init(0, ones(2));
        var extra = p.With("~/stray", ones(1));
        Assert.Throws<UnusedParametersException>(() => Model.Apply(extra, s0, ones(2)));
        Assert.True(Model.AllowUnusedParams().UnusedParamsAllowed);
        Assert.True(Model.AllowUnusedParams().Apply(extra, s0, ones(2)).Output.Equals(Model.Apply(p, s0, ones(2)).Output));
    }
}
