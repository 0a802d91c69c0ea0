// The mini-Haiku notebook, reproduced: a Linear layer, an MLP, and parameter reuse.
// Run: dotnet run --project examples/Quickstart
using MiniHaiku;
using TorchSharp;
using static TorchSharp.torch;

var x = ones(2, 3);

// 1. One Linear layer: Init creates W and b, Apply computes x·W + b.
var linear = Hk.Transform((Tensor input) =>
    from layer in Linear.Create(4)
    from y in layer.Call(input)
    select y);
var linearParams = linear.Init(seed: 42, x);
Console.WriteLine($"Linear(4) params: {linearParams.Shapes()}");
Console.WriteLine($"Linear(4) output shape: {ShapeText.Format(linear.Apply(linearParams, x).shape)}");

// 2. An MLP: sigmoid between layers, the last layer's output returned.
var mlp = Hk.Transform((Tensor input) =>
    from m in MLP.Create([3, 5])
    from y in m.Call(input)
    select y);
var mlpParams = mlp.Init(seed: 42, x);
Console.WriteLine($"MLP([3, 5]) params: {mlpParams.Shapes()}");

// 3. Calling one module twice reuses its parameters.
var reuse = Hk.Transform((Tensor input) =>
    from m in ParameterReuseTest.Create()
    from y in m.Call(input)
    select y);
var reuseParams = reuse.Init(seed: 42, x);
Console.WriteLine($"ParameterReuseTest params ({reuseParams.Count}): {reuseParams.Shapes()}");

// 4. Calling the MLP twice does not create new layers (the original notebook's counter bug, fixed).
var twice = Hk.Transform((Tensor input) =>
    from m in MLP.Create([3, 3])
    from y in m.Call(input)
    from z in m.Call(y)
    select z);
Console.WriteLine($"MLP called twice: {twice.Init(seed: 42, x).Count} parameters (4 expected)");

/// <summary>The notebook's Linear: parameters W [in, out] and b [out].</summary>
public sealed record Linear(ModuleName Name, int Width) : Module(Name)
{
    public static Model<Linear> Create(int width, string? name = null) => Hk.Module(n => new Linear(n, width), name);

    public Model<Tensor> Call(Tensor x) => Method(
        from w in Hk.GetParam("W", [x.shape[^1], Width])
        from b in Hk.GetParam("b", [Width])
        select x.matmul(w) + b);
}

/// <summary>The notebook's MLP: Linear layers with sigmoid in between.</summary>
public sealed record MLP(ModuleName Name, int[] Widths) : Module(Name)
{
    public static Model<MLP> Create(int[] widths, string? name = null) => Hk.Module(n => new MLP(n, widths), name);

    public Model<Tensor> Call(Tensor x) => Method(
        Hk.Aggregate(Widths.Select((w, i) => (Width: w, Last: i == Widths.Length - 1)), x, (h, layer) =>
            from l in Linear.Create(layer.Width)
            from y in l.Call(h)
            select layer.Last ? y : torch.sigmoid(y)));
}

/// <summary>Calls one Linear twice: exactly two parameters.</summary>
public sealed record ParameterReuseTest(ModuleName Name) : Module(Name)
{
    public static Model<ParameterReuseTest> Create() => Hk.Module(n => new ParameterReuseTest(n));

    public Model<Tensor> Call(Tensor x) => Method(
        from f in Linear.Create((int)x.shape[^1])
        from y in f.Call(x)
        from z in f.Call(y)
        select z);
}
