using MiniHaiku.Tests.Support;

namespace MiniHaiku.Tests;

/// <summary>Hk.GetParam, Hk.Module naming and the parameter errors of the contract.</summary>
public class HkTests
{
    private static readonly Transformed<Tensor, Tensor> LinearModel =
        Hk.Transform((Tensor x) => from l in Linear.Create(4) from y in l.Call(x) select y);

    [Fact]
    public void MissingParameterNamesThePathAndTheNearestKnownPaths()
    {
        var p = LinearModel.Init(0, ones(2, 3)).Without("~/Linear_0/__call__/W");
        var e = Assert.Throws<MissingParameterException>(() => LinearModel.Apply(p, ones(2, 3)));
        Assert.Equal("~/Linear_0/__call__/W", e.Path);
        Assert.Equal(["~/Linear_0/__call__/b"], e.Nearest);
        Assert.Equal(
            "Missing parameter '~/Linear_0/__call__/W': Apply never creates parameters, it only reads what Init made. " +
            "Nearest known paths: '~/Linear_0/__call__/b'. Pass the result of Init of this same model, or check module names.",
            e.Message);
    }

    [Fact]
    public void MissingParameterNearestPathsAreRankedByEditDistance()
    {
        var p = Params.Create([
            KeyValuePair.Create("~/Linear_1/__call__/W", ones(1)),
            KeyValuePair.Create("~/Linear_0/__call__/b", ones(1)),
            KeyValuePair.Create("~/Other_7/encode/zz", ones(1)),
            KeyValuePair.Create("~/Linear_0/__call__/Wx", ones(1)),
        ]);
        var f = Hk.Transform((int _) => Hk.GetParam("W", [1]));
        var inModule = Hk.Transform((Tensor x) => from l in Linear.Create(1) from y in l.Call(x) select y);
        var e = Assert.Throws<MissingParameterException>(() => inModule.Apply(p, ones(1, 1)));
        Assert.Equal(["~/Linear_0/__call__/Wx", "~/Linear_0/__call__/b", "~/Linear_1/__call__/W"], e.Nearest);
        var top = Assert.Throws<MissingParameterException>(() => f.Apply(Params.Empty, 0));
        Assert.Empty(top.Nearest);
        Assert.Contains("The parameter map given to Apply is empty", top.Message);
    }

    [Fact]
    public void ShapeMismatchInApplyGivesThePathAndBothShapes()
    {
        var p = LinearModel.Init(0, ones(2, 3));
        var e = Assert.Throws<ShapeMismatchException>(() => LinearModel.Apply(p, ones(2, 5)));
        Assert.Equal("~/Linear_0/__call__/W", e.Path);
        Assert.Equal([5L, 4L], e.Expected);
        Assert.Equal([3L, 4L], e.Actual);
        Assert.Equal(
            "Shape mismatch for '~/Linear_0/__call__/W': the model asks for (5, 4) but the stored value has (3, 4). " +
            "The parameters were made for a different input size or model; re-run Init, or fix the shape passed to GetParam.",
            e.Message);
    }

    [Fact]
    public void ShapeMismatchInInitWhenAReusedModuleSeesAnotherInputSize()
    {
        var f = Hk.Transform((Tensor x) =>
            from l in Linear.Create(2)
            from a in l.Call(x)
            from b in l.Call(ones(1, 7))
            select b);
        var e = Assert.Throws<ShapeMismatchException>(() => f.Init(0, ones(1, 3)));
        Assert.Equal("Shape mismatch for '~/Linear_0/__call__/W': the model asks for (7, 2) but the stored value has (3, 2). " +
                     "The same parameter was requested twice with different shapes; a reused module must be called on inputs of the same size.", e.Message);
    }

    [Fact]
    public void GetParamWithoutShapeForANewParameterIsMissingShape()
    {
        var f = Hk.Transform((int _) => Hk.GetParam("w"));
        var e = Assert.Throws<MissingShapeException>(() => f.Init(0, 0));
        Assert.Equal("~/w", e.Path);
        Assert.Equal("Parameter '~/w' does not exist yet and GetParam was called without a shape, so it cannot be created. " +
                     "Pass the shape (and an initializer) the first time this parameter is requested.", e.Message);
    }

    [Fact]
    public void GetParamWithoutShapeReadsAnExistingParameter()
    {
        var f = Hk.Transform((int _) => from a in Hk.GetParam("w", [2, 2]) from b in Hk.GetParam("w") select (a, b));
        var p = f.Init(0, 0);
        var (a, b) = f.Apply(p, 0);
        Assert.Same(p["~/w"], a);
        Assert.Same(a, b);
    }

    [Theory]
    [InlineData("1abc")]
    [InlineData("a-b")]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("é")]
    [InlineData("x y")]
    public void InvalidModuleNamesAreRejectedWithTheRule(string name)
    {
        var f = Hk.Transform((Tensor x) => from l in Linear.Create(2, name) from y in l.Call(x) select y);
        var e = Assert.Throws<ModuleNameException>(() => f.Init(0, ones(1, 2)));
        Assert.Equal(name, e.Name);
        Assert.Equal("~", e.Scope);
        Assert.Equal($"Invalid module name '{name}' in scope '~': names must match ^[A-Za-z_][A-Za-z0-9_]*$ (letters, digits, underscores; not starting with a digit).", e.Message);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("_")]
    [InlineData("_x9")]
    [InlineData("Z_1")]
    public void ValidExplicitNamesAreUsedVerbatim(string name)
    {
        var f = Hk.Transform((Tensor x) => from l in Linear.Create(2, name) from y in l.Call(x) select y);
        Assert.Equal([$"~/{name}/__call__/W", $"~/{name}/__call__/b"], f.Init(0, ones(1, 2)).Keys);
    }

    [Fact]
    public void DuplicateModuleNameInOneScopeInvocationIsAnError()
    {
        var f = Hk.Transform((Tensor x) =>
            from m in MLP.Create([2], name: "enc")
            from l in Linear.Create(2, "enc")
            select x);
        var e = Assert.Throws<ModuleNameException>(() => f.Init(0, ones(1, 2)));
        Assert.Equal("Duplicate module name 'enc' in scope '~': another module created in this same call already has it. " +
                     "Give each module a distinct name, or omit the name to get Linear_n.", e.Message);
    }

    [Fact]
    public void AnExplicitNameThatEqualsAnAutomaticOneIsADuplicate()
    {
        var f = Hk.Transform((Tensor x) => from a in Linear.Create(2) from b in Linear.Create(2, "Linear_0") select x);
        Assert.Throws<ModuleNameException>(() => f.Init(0, ones(1, 2)));
    }

    [Fact]
    public void AutomaticNamesSkipExplicitNamesAlreadyTaken()
    {
        var f = Hk.Transform((Tensor x) =>
            from a in Linear.Create(2, "Linear_0")
            from b in Linear.Create(2)
            from ya in a.Call(x)
            from yb in b.Call(x)
            select ya + yb);
        Assert.Equal(["~/Linear_0/__call__/W", "~/Linear_0/__call__/b", "~/Linear_1/__call__/W", "~/Linear_1/__call__/b"], f.Init(0, ones(1, 2)).Keys);
    }

    [Fact]
    public void TheSameNameInTwoDifferentScopesIsFine()
    {
        var f = Hk.Transform((Tensor x) =>
            from a in MLP.Create([2], name: "enc")
            from b in Linear.Create(2, "head")
            from ya in a.Call(x)
            from yb in b.Call(ya)
            select yb);
        Assert.Equal(["~/enc/__call__/Linear_0/__call__/W", "~/enc/__call__/Linear_0/__call__/b", "~/head/__call__/W", "~/head/__call__/b"],
            f.Init(0, ones(1, 2)).Keys);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    public void InvalidParameterNamesAreRejected(string name)
    {
        var f = Hk.Transform((int _) => Hk.GetParam(name, [1]));
        var e = Assert.Throws<ParameterNameException>(() => f.Init(0, 0));
        Assert.Equal($"Invalid parameter name '{name}' in scope '~': a name must be non-empty and must not contain '/'. Scopes come from modules, not from names.", e.Message);
    }

    [Fact]
    public void ModuleNamesCountPerTypeFromZeroInEachScopeInvocation()
    {
        ModuleName? first = null, second = null, third = null;
        var f = Hk.Transform((Tensor x) =>
            from a in Linear.Create(2)
            from m in MLP.Create([2])
            from b in Linear.Create(2)
            select (first = a.Name, second = m.Name, third = b.Name));
        f.Init(0, ones(1, 2));
        Assert.Equal(new ModuleName("Linear_0", "~/Linear_0"), first);
        Assert.Equal(new ModuleName("MLP_0", "~/MLP_0"), second);
        Assert.Equal(new ModuleName("Linear_1", "~/Linear_1"), third);
        Assert.Equal("~/Linear_1", third!.ToString());
    }

    /// <summary>A module with two methods; Encode creates a child Linear in its own scope.</summary>
    private sealed record TwoMethods(ModuleName Name) : Module(Name)
    {
        public Model<Tensor> Call(Tensor x) => Method(Hk.GetParam("w", [1]).Select(w => x * w));

        public Model<Tensor> Encode(Tensor x) => Method(from l in Linear.Create(1) from y in l.Call(x) select y);
    }

    [Fact]
    public void MethodScopesUseTheMethodNameAndCallIsDunderCall()
    {
        var f = Hk.Transform((Tensor x) =>
            from m in Hk.Module(n => new TwoMethods(n))
            from a in m.Call(x)
            from b in m.Encode(a)
            from c in m.Encode(b)
            from scope in Hk.CurrentScope()
            select (a, scope));
        var p = f.Init(0, ones(1, 1));
        Assert.Equal(["~/TwoMethods_0/Encode/Linear_0/__call__/W", "~/TwoMethods_0/Encode/Linear_0/__call__/b", "~/TwoMethods_0/__call__/w"], p.Keys);
        Assert.Equal("~", f.Apply(p, ones(1, 1)).scope);
    }

    [Fact]
    public void ParameterValuesDependOnlyOnSeedAndPath()
    {
        var small = Hk.Transform((int _) => Hk.GetParam("w", [3]));
        var big = Hk.Transform((int _) =>
            from a in Hk.GetParam("a", [5])
            from w in Hk.GetParam("w", [3])
            from z in Hk.GetParam("z", [2])
            select w);
        Assert.True(small.Init(5, 0)["~/w"].Equals(big.Init(5, 0)["~/w"]));
        Assert.False(small.Init(5, 0)["~/w"].Equals(small.Init(6, 0)["~/w"]));
        Assert.True(small.Init(5, 0)["~/w"].Equals(small.Init(RngKey.FromSeed(5), 0)["~/w"]));
    }

    [Fact]
    public void DefaultInitializerIsStandardNormalFloat32AndDtypeCanBeChosen()
    {
        var f = Hk.Transform((int _) =>
            from a in Hk.GetParam("a", [200, 200])
            from b in Hk.GetParam("b", [2], Initializers.Ones(), ScalarType.Float64)
            select a);
        var p = f.Init(0, 0);
        Assert.Equal(ScalarType.Float32, p["~/a"].dtype);
        Assert.Equal(ScalarType.Float64, p["~/b"].dtype);
        Assert.InRange(p["~/a"].mean().item<float>(), -0.02, 0.02);
        Assert.InRange(p["~/a"].std().item<float>(), 0.98, 1.02);
    }

    [Fact]
    public void NonFiniteInitializerOutputIsAnInitializerException()
    {
        var f = Hk.Transform((int _) => Hk.GetParam("w", [2, 3], Initializers.Constant(double.NaN)));
        var e = Assert.Throws<InitializerException>(() => f.Init(0, 0));
        Assert.Equal("~/w", e.Path);
        Assert.Equal("Initializer for '~/w' produced non-finite values (NaN or infinity) for shape (2, 3). Check its scale and the fan-in/fan-out of this shape.", e.Message);
        var inf = Hk.Transform((int _) => Hk.GetParam("v", [4], Initializers.RandomNormal(stddev: double.PositiveInfinity)));
        Assert.Throws<InitializerException>(() => inf.Init(0, 0));
    }

    [Fact]
    public void InitializerOfWrongShapeOrThatThrowsIsAnInitializerException()
    {
        Initializer wrong = (shape, dtype, g) => torch.zeros(7);
        var e = Assert.Throws<InitializerException>(() => Hk.Transform((int _) => Hk.GetParam("w", [2], wrong)).Init(0, 0));
        Assert.Equal("Initializer for '~/w' returned shape (7,) but (2,) was requested.", e.Message);

        var e2 = Assert.Throws<InitializerException>(() => Hk.Transform((int _) => Hk.GetParam("w", [2], Initializers.Orthogonal())).Init(0, 0));
        Assert.StartsWith("Initializer for '~/w' failed for shape (2,) and dtype Float32: Orthogonal needs a shape of at least 2 dimensions", e2.Message);

        var e3 = Assert.Throws<InitializerException>(() => Hk.Transform((int _) => Hk.GetParam("w", [2, -1])).Init(0, 0));
        Assert.Equal("Initializer for '~/w' was asked for the negative shape (2, -1).", e3.Message);

        var e4 = Assert.Throws<InitializerException>(() =>
            Hk.Transform((int _) => Hk.GetParam("i", [2], Initializers.RandomNormal(), ScalarType.Int64)).Init(0, 0));
        Assert.Contains("A random initializer needs a floating-point dtype, got Int64.", e4.Message);
    }

    [Fact]
    public void EveryErrorIsAMiniHaikuException()
    {
        foreach (var t in new[] { typeof(MissingParameterException), typeof(ShapeMismatchException), typeof(ModuleNameException),
                     typeof(ParameterNameException), typeof(MissingShapeException), typeof(MissingRngException),
                     typeof(StatefulTransformRequiredException), typeof(UnusedParametersException), typeof(InitializerException),
                     typeof(ModelUsageException) })
            Assert.True(t.IsSubclassOf(typeof(MiniHaikuException)), t.Name);
    }

    [Fact]
    public void GetFrameAndCurrentScopeSeeTheInterpretersFrame()
    {
        var m = from l in Linear.Create(1)
                from f in Hk.GetFrame()
                select (f.CurrentScope.Path, f.CurrentScope.Names.ToArray(), f.IsInitializing);
        var (v, _) = m.Run(Frame.ForInit(0));
        Assert.Equal("~", v.Path);
        Assert.Equal(["Linear_0"], v.Item2);
        Assert.True(v.IsInitializing);
    }

    [Fact]
    public void GetParamsAndTheStateAccessorsSeeWhatTheRunHasSoFar()
    {
        var f = Hk.TransformWithState((Tensor x) =>
            from l in Linear.Create(2)
            from y in l.Call(x)
            from s in Hk.GetState("count", [1])
            from s2 in Hk.SetState("count", s + 1)
            from ps in Hk.GetParams()
            from cur in Hk.GetCurrentState()
            from ini in Hk.GetInitialState()
            select (Params: ps.Keys.ToArray(), Current: cur["~/count"].item<float>(), Initial: ini.Keys.ToArray()));
        var x = ones(1, 3);
        var (p, state) = f.Init(0, x);
        var (applied, _) = f.Apply(p, state, x);
        Assert.Equal(["~/Linear_0/__call__/W", "~/Linear_0/__call__/b"], applied.Params);
        Assert.Equal(1f, applied.Current);   // the current state: the initial zero plus one
        Assert.Empty(applied.Initial);       // Apply has no initial state
        Assert.Equal(0f, state["~/count"].item<float>()); // Init returns the first value each state took
    }

    [Fact]
    public void MaybeGetRngSequenceStateShowsTheNextKeyWithoutDrawingIt()
    {
        var f = Hk.Transform((int _) =>
            from before in Hk.MaybeGetRngSequenceState()
            from again in Hk.MaybeGetRngSequenceState()
            from k in Hk.NextRngKey()
            from after in Hk.MaybeGetRngSequenceState()
            select (before, again, after));
        var (before, again, after) = f.Apply(Params.Empty, 0, 5L);
        Assert.Equal(RngKey.FromSeed(5).Fold("rng"), before);
        Assert.Equal(before, again);
        Assert.NotEqual(before, after);
        Assert.Null(Hk.Transform((int _) => Hk.MaybeGetRngSequenceState()).Apply(Params.Empty, 0));
    }
}
