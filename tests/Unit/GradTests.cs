namespace MiniHaiku.Tests;

public class GradTests
{
    private static Params P(params (string Key, Tensor Value)[] entries) =>
        Params.Create(entries.Select(e => new KeyValuePair<string, Tensor>(e.Key, e.Value)));

    private static Tensor Loss(Params p, Tensor x) =>
        (torch.sin(p["~/w"]) * x).sum() + (p["~/b"] * p["~/b"]).sum() * 0.5 + torch.exp(p["~/w"].sum() * 0.1);

    private static Params RandomParams(int seed)
    {
        using var g = new torch.Generator((ulong)seed);
        return P(("~/w", torch.randn([3, 4], float64, generator: g)), ("~/b", torch.randn([4], float64, generator: g)));
    }

    [Fact]
    public void MatchesAnalyticGradients()
    {
        var p = RandomParams(1);
        var x = torch.linspace(-1, 1, 12, float64).reshape(3, 4);
        var (value, grads) = Grad.ValueAndGrad(q => Loss(q, x))(p);
        var w = p["~/w"];
        var b = p["~/b"];
        var expectedW = torch.cos(w) * x + 0.1 * torch.exp(w.sum() * 0.1);
        Assert.True(grads["~/w"].allclose(expectedW, rtol: 1e-12, atol: 1e-12));
        Assert.True(grads["~/b"].allclose(b, rtol: 1e-12, atol: 1e-12));
        Assert.Equal(Loss(p, x).item<double>(), value.item<double>(), 12);
        Assert.False(value.requires_grad);
        Assert.All(grads.Values, g => Assert.False(g.requires_grad));
    }

    [Fact]
    public void MatchesCentralFiniteDifferences()
    {
        var p = RandomParams(2);
        var x = torch.linspace(-2, 3, 12, float64).reshape(3, 4);
        var grads = Grad.Gradient(q => Loss(q, x))(p);
        const double h = 1e-6;
        foreach (var (path, t) in p)
        {
            var flat = t.flatten();
            for (var i = 0; i < flat.numel(); i++)
            {
                var plus = flat.clone(); plus[i] = plus[i] + h;
                var minus = flat.clone(); minus[i] = minus[i] - h;
                var fp = Loss(p.With(path, plus.reshape(t.shape)), x).item<double>();
                var fm = Loss(p.With(path, minus.reshape(t.shape)), x).item<double>();
                var numeric = (fp - fm) / (2 * h);
                Assert.Equal(numeric, grads[path].flatten()[i].item<double>(), 6);
            }
        }
    }

    [Fact]
    public void GradsHaveExactlyTheParamsKeysShapesAndDtypes()
    {
        var p = P(("~/a", torch.ones([2, 3], float32)), ("~/b", torch.ones([5], float64)), ("~/unused", torch.ones([7, 1], float32)));
        var grads = Grad.Gradient(q => q["~/a"].sum() + q["~/b"].sum())(p);
        Assert.Equal(p.Shapes(), grads.Shapes());
        Assert.All(p, kv => Assert.Equal(kv.Value.dtype, grads[kv.Key].dtype));
        Assert.True(grads["~/a"].Equals(torch.ones([2, 3], float32)));
        Assert.True(grads["~/unused"].Equals(torch.zeros([7, 1], float32)));
    }

    [Fact]
    public void LossIndependentOfParamsGivesZeroGradients()
    {
        var p = P(("~/a", torch.full([2], 3.0, float64)));
        var (value, grads) = Grad.ValueAndGrad(_ => torch.tensor(5.0, float64))(p);
        Assert.Equal(5.0, value.item<double>());
        Assert.True(grads["~/a"].Equals(torch.zeros([2], float64)));
    }

    [Fact]
    public void LossThatIsAParameterItselfHasGradientOne()
    {
        var p = P(("~/s", torch.tensor(2.5)));
        var (value, grads) = Grad.ValueAndGrad(q => q["~/s"])(p);
        Assert.Equal(2.5, value.item<double>());
        Assert.Equal(1.0, grads["~/s"].item<double>());
    }

    [Fact]
    public void EmptyParamsGiveEmptyGradients()
    {
        var (value, grads) = Grad.ValueAndGrad(_ => torch.tensor(1.5))(Params.Empty);
        Assert.Equal(1.5, value.item<double>());
        Assert.Empty(grads);
    }

    [Fact]
    public void WorksInsideNoGrad()
    {
        var p = P(("~/a", torch.full([2], 3.0, float64)));
        using var _ = torch.no_grad();
        var grads = Grad.Gradient(q => (q["~/a"] * q["~/a"]).sum())(p);
        Assert.True(grads["~/a"].Equals(torch.full([2], 6.0, float64)));
    }

    [Fact]
    public void NonScalarLossIsAClearError()
    {
        var p = P(("~/a", torch.ones([3])));
        var e = Assert.Throws<GradientException>(() => Grad.ValueAndGrad(q => q["~/a"] * 2)(p));
        Assert.Contains("(3,)", e.Message);
        Assert.Contains("scalar", e.Message);
    }

    [Fact]
    public void IntegerLossIsAClearError()
    {
        var p = P(("~/a", torch.ones([3])));
        var e = Assert.Throws<GradientException>(() => Grad.ValueAndGrad(_ => torch.tensor(3L))(p));
        Assert.Contains("Int64", e.Message);
    }

    [Fact]
    public void IntegerParameterIsAClearErrorNamingIt()
    {
        var p = P(("~/a", torch.ones([3])), ("~/count", torch.zeros([1], int64)));
        var e = Assert.Throws<GradientException>(() => Grad.ValueAndGrad(q => q["~/a"].sum())(p));
        Assert.Contains("'~/count'", e.Message);
    }

    [Fact]
    public void AuxIsPassedThrough()
    {
        var p = P(("~/a", torch.tensor(new[] { 1.0, 2.0 })));
        var (value, aux, grads) = Grad.ValueAndGradWithAux(q => ((q["~/a"] * q["~/a"]).sum(), "label:" + q.Count))(p);
        Assert.Equal(5.0, value.item<double>());
        Assert.Equal("label:1", aux);
        Assert.True(grads["~/a"].Equals(torch.tensor(new[] { 2.0, 4.0 })));
    }

    [Fact]
    public void GradOfGradGivesSecondDerivative()
    {
        // f(x) = sum(x^3): f' = 3x^2, and d/dx sum(f'(x)) = 6x.
        var p = P(("~/x", torch.tensor(new[] { -1.5, 0.5, 2.0 })));
        var inner = Grad.Gradient(q => q["~/x"].pow(3).sum(), createGraph: true);
        var outer = Grad.Gradient(q => inner(q)["~/x"].sum());
        Assert.True(inner(p)["~/x"].allclose(torch.tensor(new[] { 6.75, 0.75, 12.0 }), rtol: 1e-12, atol: 1e-12));
        Assert.True(outer(p)["~/x"].allclose(torch.tensor(new[] { -9.0, 3.0, 12.0 }), rtol: 1e-12, atol: 1e-12));
    }

    [Fact]
    public void HessianVectorProductOfQuadraticIsMatrixTimesVector()
    {
        // f(x) = 0.5 x^T A x with symmetric A: H = A, so grad_x <grad f(x), v> = A v.
        var a = torch.tensor(new[] { 2.0, 1.0, 0.5, 1.0, 3.0, -1.0, 0.5, -1.0, 4.0 }).reshape(3, 3);
        var v = torch.tensor(new[] { 1.0, -2.0, 0.5 });
        var p = P(("~/x", torch.tensor(new[] { 0.3, -0.7, 1.1 })));
        var g = Grad.Gradient(q => 0.5 * q["~/x"].dot(a.matmul(q["~/x"])), createGraph: true);
        var hvp = Grad.Gradient(q => g(q)["~/x"].dot(v))(p);
        Assert.True(hvp["~/x"].allclose(a.matmul(v), rtol: 1e-12, atol: 1e-12));
    }

    [Fact]
    public void WorksThroughATransformedModel()
    {
        var f = Hk.Transform((Tensor x) =>
            from w in Hk.GetParam("w", [3, 2], dtype: ScalarType.Float64)
            select x.matmul(w));
        var x = torch.ones([4, 3], float64);
        var p = f.Init(0, x);
        var grads = Grad.Gradient(q => f.Apply(q, x).sum())(p);
        Assert.True(grads["~/w"].Equals(torch.full([3, 2], 4.0, float64)));
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void ReadScalarReadsEveryFloatingDtypeIncludingNonFiniteValues(ScalarType dtype)
    {
        // The trainer reads losses and gradient sums with it: one native call for Float32/Float64, a widening otherwise.
        foreach (var v in new[] { 1.5, -0.25, double.NaN, double.PositiveInfinity, double.NegativeInfinity })
        {
            using var t = torch.tensor(v, dtype).requires_grad_();
            var read = Grad.ReadScalar(t, dtype);
            if (double.IsNaN(v)) Assert.True(double.IsNaN(read));
            else Assert.Equal(v, read);
        }
        Assert.Equal(dtype, Grad.RequireScalarLoss(torch.ones([1, 1], dtype)));
    }
}
