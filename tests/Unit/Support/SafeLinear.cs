namespace MiniHaiku.Tests.Support;

/// <summary>The notebook's Linear, adding its bias with <c>SafeOps.Plus</c> (MiniHaiku.Internal) (for stress tests under GC pressure).</summary>
public sealed record SafeLinear(ModuleName Name, int Width) : Module(Name)
{
    public static Model<SafeLinear> Create(int width, string? name = null) => Hk.Module(n => new SafeLinear(n, width), name);

    public Model<Tensor> Call(Tensor x) => Method(
        from w in Hk.GetParam("W", [x.shape[^1], Width])
        from b in Hk.GetParam("b", [Width])
        select x.matmul(w).Plus(b));
}
