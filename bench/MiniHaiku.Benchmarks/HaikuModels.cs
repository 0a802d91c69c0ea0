using MiniHaiku.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Benchmarks;

/// <summary>The MiniHaiku models of the benchmarks (same shapes as <see cref="TorchModels"/>).</summary>
public static class HaikuModels
{
    /// <summary>784-256-128-10 MLP with ReLU (no dropout, as in the TorchSharp module).</summary>
    public static Model<Tensor> Mlp(Tensor images)
    {
        var x = images.flatten(1);
        return from h1 in Linear.Create(256).Call(x)
               from h2 in Linear.Create(128).Call(Activations.Relu(h1))
               from logits in Linear.Create(10).Call(Activations.Relu(h2))
               select logits;
    }

    /// <summary>Two 32-wide linear layers with ReLU between.</summary>
    public static Model<Tensor> Tiny(Tensor x) =>
        from h in Linear.Create(32).Call(x)
        from y in Linear.Create(32).Call(Activations.Relu(h))
        select y;

    /// <summary>1000-2000-2000-2000 linear stack (10,006,000 parameters).</summary>
    public static Model<Tensor> Big(Tensor x) =>
        from a in Linear.Create(2000).Call(x)
        from b in Linear.Create(2000).Call(a)
        from c in Linear.Create(2000).Call(b)
        select c;

    /// <summary>
    /// 20 modules of 10 scalar parameters each (200 <see cref="Hk.GetParam(string, long[], Initializer, ScalarType?)"/>
    /// calls and nothing else): isolates the cost of parameter lookup.
    /// </summary>
    public static Model<Tensor> TwoHundredParams(Tensor x) =>
        Hk.Aggregate(Enumerable.Range(0, 20), x, (acc, _) => ParamBag.Create().SelectMany(bag => bag.Call(acc)));

    /// <summary>A module that only reads ten scalar parameters.</summary>
    public sealed record ParamBag(ModuleName Name) : Module(Name)
    {
        private static readonly string[] Names = Enumerable.Range(0, 10).Select(i => "p" + i).ToArray();
        private static readonly long[] Shape = [1];

        public static Model<ParamBag> Create() => Hk.Module(n => new ParamBag(n));

        public Model<Tensor> Call(Tensor x) => Method(
            Hk.Aggregate(Names, x, (_, name) => Hk.GetParam(name, Shape, Initializers.Zeros())));
    }
}
