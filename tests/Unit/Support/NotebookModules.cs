namespace MiniHaiku.Tests.Support;

// The modules of the original mini-Haiku notebook, written against the public API exactly as a user would.

public sealed record Linear(ModuleName Name, int Width) : Module(Name)
{
    public static Model<Linear> Create(int width, string? name = null) =>
        Hk.Module(n => new Linear(n, width), name);

    public Model<Tensor> Call(Tensor x) => Method(
        from w in Hk.GetParam("W", [x.shape[^1], Width])
        from b in Hk.GetParam("b", [Width])
        select x.matmul(w) + b);
}

public sealed record MLP(ModuleName Name, int[] Widths) : Module(Name)
{
    public static Model<MLP> Create(int[] widths, string? name = null) =>
        Hk.Module(n => new MLP(n, widths), name);

    public Model<Tensor> Call(Tensor x) => Method(
        Hk.Aggregate(Widths.Select((w, i) => (w, i)), x, (h, wi) =>
            from layer in Linear.Create(wi.w)
            from y in layer.Call(h)
            select wi.i < Widths.Length - 1 ? torch.sigmoid(y) : y));
}

/// <summary>A module that calls one Linear twice: it must hold exactly that Linear's two parameters.</summary>
public sealed record ParameterReuseTest(ModuleName Name) : Module(Name)
{
    public static Model<ParameterReuseTest> Create() => Hk.Module(n => new ParameterReuseTest(n));

    public Model<Tensor> Call(Tensor x) => Method(
        from f in Linear.Create(x.shape[^1] is var d ? (int)d : 0)
        from y in f.Call(x)
        from z in f.Call(y)
        select z);
}
