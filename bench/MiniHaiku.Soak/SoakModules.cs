using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Soak;

// Small local modules (the library's layers live elsewhere): written against the public API as a user would.

public sealed record Dense(ModuleName Name, int Width) : Module(Name)
{
    public static Model<Dense> Create(int width) => Hk.Module(n => new Dense(n, width));

    public Model<Tensor> Call(Tensor x) => Method(
        from w in Hk.GetParam("w", [x.shape[^1], Width], Initializers.LecunNormal())
        from b in Hk.GetParam("b", [Width], Initializers.Constant(0.0))
        select x.matmul(w) + b);
}

public sealed record Mlp(ModuleName Name, int[] Widths) : Module(Name)
{
    public static Model<Mlp> Create(int[] widths) => Hk.Module(n => new Mlp(n, widths));

    public Model<Tensor> Call(Tensor x) => Method(
        Hk.Aggregate(Widths.Select((w, i) => (w, i)), x, (h, wi) =>
            from layer in Dense.Create(wi.w)
            from y in layer.Call(h)
            select wi.i < Widths.Length - 1 ? torch.nn.functional.relu(y) : y));
}
