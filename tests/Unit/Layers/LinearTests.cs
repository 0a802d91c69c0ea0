using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class LinearTests
{
    private static Transformed<Tensor, Tensor> Model(int size, bool withBias = true) =>
        Hk.Transform((Tensor x) => Linear.Create(size, withBias).Call(x));

    [Fact]
    public void ParameterPathsAndShapesAreHaikus()
    {
        var p = Model(4).Init(1, ones(2, 3));
        Assert.Equal("{'~/Linear_0/__call__/b': (4,), '~/Linear_0/__call__/w': (3, 4)}", p.Shapes().ToString());
        var noBias = Model(4, withBias: false).Init(1, ones(2, 3));
        Assert.Equal("{'~/Linear_0/__call__/w': (3, 4)}", noBias.Shapes().ToString());
    }

    [Fact]
    public void MatchesTorchLinearInFloat64WithAndWithoutBias()
    {
        foreach (var withBias in new[] { true, false })
        {
            var x = Random(1, 5, 3);
            var f = Model(4, withBias);
            var p = f.Init(3, x);
            using var torchLinear = nn.Linear(3, 4, hasBias: withBias, dtype: ScalarType.Float64);
            using (no_grad())
            {
                torchLinear.weight!.copy_(p["~/Linear_0/__call__/w"].t());
                if (withBias)
                {
                    // Make the bias non-zero so the comparison covers it.
                    var b = Random(2, 4);
                    p = p.With("~/Linear_0/__call__/b", b);
                    torchLinear.bias!.copy_(b);
                }
            }
            AssertClose(torchLinear.forward(x), f.Apply(p, x));
        }
    }

    [Fact]
    public void AppliesToTheLastAxisOfHigherRankInputs()
    {
        var x = Random(4, 2, 3, 5);
        var f = Model(6);
        var p = f.Init(0, x);
        var y = f.Apply(p, x);
        Assert.Equal([2L, 3, 6], y.shape);
        AssertClose(x.reshape(6, 5).matmul(p["~/Linear_0/__call__/w"]).reshape(2, 3, 6), y);
    }

    // The fused path multiplies x seen as [rows, in]; every rank and empty axis must give x·w + b as matmul does.
    [Theory]
    [InlineData(new long[] { 3 })]
    [InlineData(new long[] { 4, 3 })]
    [InlineData(new long[] { 2, 4, 3 })]
    [InlineData(new long[] { 2, 1, 4, 3 })]
    [InlineData(new long[] { 0, 4, 3 })]
    [InlineData(new long[] { 2, 4, 0 })]
    public void EveryRankAndEmptyAxisGivesXTimesWPlusB(long[] shape)
    {
        var x = torch.rand(shape, dtype: ScalarType.Float64);
        var f = Model(5);
        var seed = 60;
        var p = f.Init(0, x).Map(t => Random(seed++, t.shape));
        var y = f.Apply(p, x);
        Assert.Equal([.. shape[..^1], 5L], y.shape);
        if (y.numel() > 0) AssertClose(x.matmul(p["~/Linear_0/__call__/w"]) + p["~/Linear_0/__call__/b"], y);
    }

    [Fact]
    public void DefaultInitIsTruncatedNormalWithStddevOneOverSqrtFanInAndZeroBias()
    {
        var p = Model(200).Init(5, ones(1, 400));
        var w = p["~/Linear_0/__call__/w"];
        var expectedStd = Initializers.TruncatedNormalStddev / Math.Sqrt(400);
        Assert.InRange(w.std().item<float>(), expectedStd * 0.97, expectedStd * 1.03);
        Assert.True(w.abs().max().item<float>() <= 2.0 / Math.Sqrt(400) + 1e-6);
        Assert.Equal(0f, p["~/Linear_0/__call__/b"].abs().sum().item<float>());
    }

    [Fact]
    public void ParametersTakeTheInputDtype()
    {
        var p = Model(2).Init(0, ones(1, 3, dtype: ScalarType.Float64));
        Assert.All(p.Values, t => Assert.Equal(ScalarType.Float64, t.dtype));
    }

    [Fact]
    public void CustomInitializersAreUsed()
    {
        var f = Hk.Transform((Tensor x) => Linear.Create(2, wInit: Initializers.Ones(), bInit: Initializers.Constant(0.5)).Call(x));
        var p = f.Init(0, ones(1, 3));
        Assert.Equal(6f, p["~/Linear_0/__call__/w"].sum().item<float>());
        Assert.Equal(1f, p["~/Linear_0/__call__/b"].sum().item<float>());
    }

    [Fact]
    public void OneStepExtensionEqualsTwoStepQuery()
    {
        var x = Random(6, 2, 3);
        var twoStep = Hk.Transform((Tensor v) => from l in Linear.Create(4) from y in l.Call(v) select y);
        var oneStep = Model(4);
        var p = twoStep.Init(9, x);
        Assert.Equal(p.Shapes(), oneStep.Init(9, x).Shapes());
        AssertClose(twoStep.Apply(p, x), oneStep.Apply(p, x));
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var x = Random(7, 3, 4);
        var r = Random(8, 3, 2);
        var f = Model(2);
        var p = f.Init(1, x).With("~/Linear_0/__call__/b", Random(9, 2));
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, x) * r).sum());
    }

    [Fact]
    public void GradientsMatchFiniteDifferencesForARank3Input()
    {
        // The flattened input and the 2-D product are disposed inside the layer: backward must not need their handles.
        var x = Random(10, 2, 3, 4);
        var r = Random(11, 2, 3, 2);
        var f = Model(2);
        var p = f.Init(1, x).With("~/Linear_0/__call__/b", Random(12, 2));
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, x) * r).sum());
    }

    [Fact]
    public void BadArgumentsRaiseLayerExceptions()
    {
        var c = Assert.Throws<LayerConfigurationException>(() => Linear.Create(0));
        Assert.Equal("Linear", c.Layer);
        Assert.Contains("Linear: outputSize must be positive, got 0.", c.Message);
        var e = Assert.Throws<LayerInputException>(() => Model(2).Init(0, torch.tensor(1f)));
        Assert.Contains("Linear_0", e.Message);
    }

    [Fact]
    public void InterceptorsSeeBothParametersAndTheResultIsTheSameAsWithout()
    {
        // Linear reads w and b in one step when nothing intercepts parameters; under a custom getter or creator it goes
        // through Hk.GetParam, so every interceptor still sees both, with the shapes, dtype and initializer asked for.
        var seen = new List<GetterContext>();
        ParamInterceptor record = (context, next) =>
        {
            seen.Add(context);
            return next(context);
        };
        var x = rand(2, 3, dtype: ScalarType.Float64);
        var plain = Model(4);
        var intercepted = Hk.Transform((Tensor t) => Hk.CustomCreator(record, Hk.CustomGetter(record, Linear.Create(4).Call(t))));
        var p = intercepted.Init(5, x);
        Assert.True(p.BitwiseEquals(plain.Init(5, x)));
        // Init: each parameter passes the getter, then the creator (both see the default initializer of w).
        Assert.Equal(["~/Linear_0/__call__/w", "~/Linear_0/__call__/w", "~/Linear_0/__call__/b", "~/Linear_0/__call__/b"], seen.Select(c => c.FullName));
        Assert.Equal([3L, 4L], seen[0].Shape!);
        Assert.Equal([4L], seen[2].Shape!);
        Assert.All(seen, c => Assert.Equal(ScalarType.Float64, c.DType));
        Assert.All(seen, c => Assert.NotNull(c.Init));
        seen.Clear();
        Assert.True(intercepted.Apply(p, x).Equals(plain.Apply(p, x)));
        Assert.Equal(["~/Linear_0/__call__/w", "~/Linear_0/__call__/b"], seen.Select(c => c.FullName));
    }
}
