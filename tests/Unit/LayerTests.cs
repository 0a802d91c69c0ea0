using MiniHaiku.Layers;
using MiniHaiku.Summaries;

namespace MiniHaiku.Tests;

/// <summary>A layer written the way the Layer docs show: Forward only, no Method.</summary>
public sealed record Gain(ModuleName Name) : Layer(Name)
{
    public static Model<Gain> Create(string? name = null) => Hk.Module(n => new Gain(n), name);

    protected override Model<Tensor> Forward(Tensor x) =>
        from s in Hk.GetParam("scale", [], Initializers.Constant(2.0), x.dtype)
        select x * s;
}

/// <summary>Layer: the base of tensor-to-tensor modules; Call scopes Forward and names its input.</summary>
public class LayerTests
{
    [Fact]
    public void ForwardRunsInsideTheModulesCallScope()
    {
        var f = Hk.Transform((Tensor x) => from y in Gain.Create().Call(x) select y);
        var p = f.Init(0, ones(3));
        Assert.Equal(["~/Gain_0/__call__/scale"], p.Keys.ToArray());
        Assert.Equal([2f, 2f, 2f], f.Apply(p, ones(3)).data<float>().ToArray());
    }

    [Fact]
    public void TwoInstancesNeverShareParameters()
    {
        // Without Method a second instance would silently reuse ~/scale; the base makes scoping the default.
        var f = Hk.Transform((Tensor x) =>
            from a in Gain.Create().Call(x)
            from b in Gain.Create().Call(a)
            select b);
        Assert.Equal(["~/Gain_0/__call__/scale", "~/Gain_1/__call__/scale"], f.Init(0, ones(2)).Keys.Order().ToArray());
    }

    [Fact]
    public void OneGenericExtensionCreatesAndCallsAnyLayer()
    {
        var oneStep = Hk.Transform((Tensor x) => Linear.Create(3).Call(x));
        var twoSteps = Hk.Transform((Tensor x) => from l in Linear.Create(3) from y in l.Call(x) select y);
        var x = torch.randn(2, 4, generator: new torch.Generator(5));
        var p = oneStep.Init(7, x);
        Assert.Equal(p.Keys.Order(), twoSteps.Init(7, x).Keys.Order());
        Assert.True(oneStep.Apply(p, x).allclose(twoSteps.Apply(p, x), 0, 0));
        Assert.Throws<ArgumentNullException>(() => LayerModelExtensions.Call<Linear>(null!, x));
    }

    [Fact]
    public void CallRejectsANullInput() =>
        Assert.Throws<ArgumentNullException>(() => Hk.Transform((Tensor x) => Gain.Create().Call(null!)).Init(0, ones(1)));

    [Fact]
    public void MethodInterceptorsSeeTheLayersInput()
    {
        var inputs = new List<object?>();
        MethodInterceptor record = (ctx, next) => { inputs.Add(ctx.Input); return next; };
        var x = ones(2, 4);
        Hk.Transform((Tensor v) => Hk.InterceptMethods(record, Linear.Create(3).Call(v))).Init(0, x);
        Assert.Same(x, Assert.Single(inputs));
    }

    [Fact]
    public void SummariesShowTheInputOfEveryLayer()
    {
        var table = Summary.Tabulate(Hk.Transform((Tensor x) => Gain.Create().Call(x)), zeros(2, 3));
        var row = Assert.Single(table.Rows);
        Assert.Equal(("~/Gain_0", "__call__", "f32[2, 3]", "f32[2, 3]", 1L), (row.Module, row.Method, row.Input, row.Output, row.ParamCount));
    }

    [Fact]
    public void NoLayerHasItsOwnCopyOfTheOneStepCall()
    {
        // The generic LayerModelExtensions.Call covers Model<TLayer>.Call(x) for every Layer: no per-layer copy may come back.
        var copies = typeof(Linear).Assembly.GetExportedTypes()
            .SelectMany(t => t.GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static))
            .Where(m => m.Name == "Call" && !m.IsGenericMethodDefinition)
            .Select(m => m.GetParameters())
            .Where(ps => ps.Length == 2 && ps[1].ParameterType == typeof(Tensor)
                && ps[0].ParameterType.IsGenericType && ps[0].ParameterType.GetGenericTypeDefinition() == typeof(Model<>)
                && ps[0].ParameterType.GetGenericArguments()[0].IsSubclassOf(typeof(Layer)))
            .Select(ps => ps[0].ParameterType.GetGenericArguments()[0].Name)
            .ToArray();
        Assert.Empty(copies);
    }
}
