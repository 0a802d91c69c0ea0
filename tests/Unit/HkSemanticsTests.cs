using MiniHaiku.Layers;
using Linear = MiniHaiku.Tests.Support.Linear;

namespace MiniHaiku.Tests;

/// <summary>Issue 14's semantics fixes: each test failed before its fix.</summary>
public class HkSemanticsTests
{
    private static Model<Tensor> Dense(Tensor x, int width, string? name = null) =>
        from l in Linear.Create(width, name) from y in l.Call(x) select y;

    /// <summary>A module with one counter state, updated by <see cref="Add"/>.</summary>
    private sealed record Counter(ModuleName Name) : Module(Name)
    {
        public static Model<Counter> Create() => Hk.Module(n => new Counter(n));

        public Model<Tensor> Add(double v) => Method(
            from c in Hk.GetState("count", [], Initializers.Zeros())
            from s in Hk.SetState("count", c + v)
            select s);
    }

    [Fact]
    public void ScanOverAnEmptyTensorDuringInitCreatesTheBodysParameters()
    {
        var f = Hk.Transform((Tensor xs) =>
            Hk.Scan((Tensor c, Tensor x) => Dense(x, 3, "cell").Select(y => (c + y, y)), zeros(3), xs).Select(r => r.Carry));
        var p = f.Init(0, zeros(0, 2));
        Assert.Equal(["~/cell/__call__/W", "~/cell/__call__/b"], p.Keys);
        Assert.Equal([3L], f.Apply(p, ones(4, 2)).shape);
        // An empty scan in Apply returns the initial carry and counts the body's parameters as used.
        Assert.True(f.Apply(p, zeros(0, 2)).Equals(zeros(3)));
    }

    [Fact]
    public void NamesAfterARepeatDoNotDependOnHowManyStepsRan()
    {
        var f = Hk.Transform(((Tensor X, int N) i) =>
            from h in Hk.Repeat(i.N, (_, h) => Dense(h, 2), i.X)
            from y in Dense(h, 2)
            select y);
        var p = f.Init(0, (ones(1, 2), 3));
        Assert.Equal(["~/Linear_0/__call__/W", "~/Linear_0/__call__/b", "~/Linear_1/__call__/W", "~/Linear_1/__call__/b"], p.Keys);
        // Zero steps in Apply: the module after the loop keeps its Init name (strict Apply would report it otherwise).
        var zeroSteps = f.Apply(p, (ones(1, 2), 0));
        var direct = ones(1, 2).matmul(p["~/Linear_1/__call__/W"]) + p["~/Linear_1/__call__/b"];
        Assert.True(zeroSteps.allclose(direct));
        // Zero steps in Init too: the same parameters are created.
        Assert.Equal(p.Keys, f.Init(0, (ones(1, 2), 0)).Keys);
    }

    [Fact]
    public void AZeroStepLoopWhoseBodyDrawsKeysNeedsNoKeyInApply()
    {
        var f = Hk.Transform(((Tensor X, int N) i) => Hk.Repeat(i.N, (_, h) => Hk.Dropout(0.5, h), i.X));
        var p = f.Init(0, (ones(4), 1));
        Assert.True(f.Apply(p, (ones(4), 0)).Equals(ones(4)));
        Assert.Throws<MissingRngException>(() => f.Apply(p, (ones(4), 1)));
    }

    [Fact]
    public void NamesAfterAWhileLoopDoNotDependOnHowManyStepsRan()
    {
        var f = Hk.Transform(((Tensor X, int N) i) =>
            from c in Hk.WhileLoop(c => c.Step < i.N, c => Dense(c.H, 2).Select(h => (Step: c.Step + 1, H: h)), (Step: 0, H: i.X))
            from y in Dense(c.H, 2)
            select (c.Step, y));
        var p = f.Init(0, (ones(1, 2), 2));
        Assert.Equal(4, p.Count);
        Assert.Equal(0, f.Apply(p, (ones(1, 2), 0)).Step);
        Assert.Equal(5, f.Apply(p, (ones(1, 2), 5)).Step);
        Assert.Equal(p.Keys, f.Init(1, (ones(1, 2), 0)).Keys);
    }

    [Fact]
    public void CondDuringInitTakesStateFromTheTakenBranchOnly()
    {
        var f = Hk.TransformWithState((bool pred) =>
            from c in Counter.Create()
            from y in Hk.Cond(pred, c.Add(10), c.Add(1))
            select y.item<float>());
        foreach (var pred in new[] { true, false })
        {
            var (value, frame) = f.Function(pred).Run(Frame.ForInit(0, withState: true));
            var (p, s) = f.Init(0, pred);
            var (applied, after) = f.Apply(p, s, pred);
            Assert.Equal(applied, value);
            Assert.Equal(pred ? 10f : 1f, value);
            Assert.True(frame.State["~/Counter_0/Add/count"].Equals(after["~/Counter_0/Add/count"]));
            Assert.Equal(0f, s["~/Counter_0/Add/count"].item<float>());
        }
    }

    [Fact]
    public void StateOnlyAnUntakenBranchUsesStillGetsItsInitialValue()
    {
        var f = Hk.TransformWithState((bool pred) =>
            Hk.Cond(pred, Hk.Pure(0f), from c in Counter.Create() from y in c.Add(1) select y.item<float>()));
        var (p, s) = f.Init(0, true);
        Assert.Equal(["~/Cond_0/when_false/Counter_0/Add/count"], s.Keys);
        Assert.Equal(1f, f.Apply(p, s, false).Output);
    }

    [Fact]
    public void SkippingABranchKeepsTheUnusedParameterCheckOutsideTheUntakenBranches()
    {
        var f = Hk.Transform(((Tensor X, int I) i) => Hk.Switch(i.I, [Dense(i.X, 1), Dense(i.X, 2), Hk.Pure(i.X)]));
        var p = f.Init(0, (ones(1, 3), 0));
        Assert.True(f.Apply(p, (ones(1, 3), 2)).Equals(ones(1, 3)));
        var extra = p.With("~/Other_0/__call__/W", ones(3, 3));
        var e = Assert.Throws<UnusedParametersException>(() => f.Apply(extra, (ones(1, 3), 2)));
        Assert.Equal(["~/Other_0/__call__/W"], e.Unused);
        // A stray key inside an untaken branch's scope is not checked (it cannot be told from a real one).
        Assert.Equal([1L, 2L], f.Apply(p, (ones(1, 3), 1)).shape);
    }

    [Fact]
    public void IdentityHonoursIntegerDtypesAndGetParamChecksTheInitializersDtype()
    {
        var f = Hk.Transform((int _) => Hk.GetParam("w", [2, 3], Initializers.Identity(), ScalarType.Int32));
        var p = f.Init(0, 0);
        Assert.Equal(ScalarType.Int32, p["~/w"].dtype);
        Assert.Equal(new[] { 1, 0, 0, 0, 1, 0 }, p["~/w"].data<int>().ToArray());
        var wrong = Hk.Transform((int _) => Hk.GetParam("w", [2], (shape, _, _) => torch.zeros(shape, dtype: ScalarType.Float64)));
        var e = Assert.Throws<InitializerException>(() => wrong.Init(0, 0));
        Assert.Equal("Initializer for '~/w' returned dtype Float64 but Float32 was requested (shape (2,)). Make the initializer honour its dtype argument.", e.Message);
    }

    [Fact]
    public void LiftOfAPlainTransformThatUsesStateIsAnErrorNamingTheStatefulVariant()
    {
        var inner = Hk.Transform((int _) => from c in Counter.Create() from y in c.Add(1) select y);
        var outer = Hk.TransformWithState((int x) => Hk.Lift(inner, "inner")(x));
        var e = Assert.Throws<ModelUsageException>(() => outer.Init(0, 0));
        Assert.Equal("State '~/inner/Counter_0/Add/count' was used inside Hk.Lift(inner, …) at '~/inner', but the inner model was made with Hk.Transform, which has no state. " +
                     "Make the inner model with Hk.TransformWithState and lift it with Hk.LiftWithState (or Hk.Lift of the TransformedWithState).", e.Message);
        var stateful = Hk.TransformWithState((int _) => from c in Counter.Create() from y in c.Add(1) select y);
        var lifted = Hk.TransformWithState((int x) => Hk.LiftWithState(stateful, "inner")(x));
        var (_, s) = lifted.Init(0, 0);
        Assert.Equal(["~/inner/Counter_0/Add/count"], s.Keys);
    }

    [Fact]
    public void NormalizationLayersRejectAnInitializerForAScaleOrOffsetTheyDoNotCreate()
    {
        var ones = Initializers.Ones();
        var e = Assert.Throws<LayerConfigurationException>(() => LayerNorm.Create(createScale: false, scaleInit: ones));
        Assert.Equal("LayerNorm: scaleInit was given but createScale is false, so there is no scale to initialise. Drop scaleInit or set createScale: true.", e.Message);
        e = Assert.Throws<LayerConfigurationException>(() => LayerNorm.Create(createOffset: false, offsetInit: ones));
        Assert.Equal("LayerNorm: offsetInit was given but createOffset is false, so there is no offset to initialise. Drop offsetInit or set createOffset: true.", e.Message);
        Assert.Equal("GroupNorm", Assert.Throws<LayerConfigurationException>(() => GroupNorm.Create(2, createScale: false, scaleInit: ones)).Layer);
        Assert.Equal("GroupNorm", Assert.Throws<LayerConfigurationException>(() => GroupNorm.Create(2, createOffset: false, offsetInit: ones)).Layer);
        Assert.Equal("BatchNorm", Assert.Throws<LayerConfigurationException>(() => BatchNorm.Create(createScale: false, scaleInit: ones)).Layer);
        Assert.Equal("BatchNorm", Assert.Throws<LayerConfigurationException>(() => BatchNorm.Create(createOffset: false, offsetInit: ones)).Layer);
        Assert.Equal("RMSNorm", Assert.Throws<LayerConfigurationException>(() => RMSNorm.Create(createScale: false, scaleInit: ones)).Layer);
        // Without the initializer, or with the part created, nothing is rejected.
#pragma warning disable MH0002 // Only the eager argument checks of Create are under test: the models are not meant to run.
        LayerNorm.Create(createScale: false);
        LayerNorm.Create(scaleInit: ones, offsetInit: ones);
#pragma warning restore MH0002
    }

    [Fact]
    public void AttentionGivesAQueryRowThatMayAttendToNothingUniformWeights()
    {
        // Keys are all the same row, so unmasked logits are equal and the weights uniform: a fully masked row
        // must give exactly that (the mean of the values), not NaN and not zeros.
        var f = Hk.Transform(((Tensor Q, Tensor K, Tensor V, Tensor? Mask) i) =>
            MultiHeadAttention.Create(2, 3, modelSize: 4).Call(i.Q, i.K, i.V, i.Mask));
        var gen = new torch.Generator(5);
        var q = randn([1, 2, 4], generator: gen);
        var k = randn([1, 1, 4], generator: gen).expand(1, 3, 4).contiguous();
        var v = randn([1, 3, 4], generator: gen);
        var p = f.Init(0, (q, k, v, null));
        var mask = torch.tensor(new[] { false, false, false, true, true, true }).reshape(1, 1, 2, 3);
        var masked = f.Apply(p, (q, k, v, mask));
        var open = f.Apply(p, (q, k, v, null));
        Assert.False(masked.isnan().any().item<bool>());
        Assert.True(masked[0, 0].allclose(open[0, 0], rtol: 1e-5, atol: 1e-6));
        // The output of the fully masked row no longer depends on its query.
        var other = f.Apply(p, (q * 3, k, v, mask));
        Assert.True(masked[0, 0].allclose(other[0, 0], rtol: 1e-5, atol: 1e-6));
    }
}
