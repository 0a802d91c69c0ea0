using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace MiniHaiku.Tests.Properties;

/// <summary>The algebra of ParamsTree on random float64 maps.</summary>
public class ParamsTreeProperties
{
    private static (Params X, Params Y) RandomPair(int seed, int entries)
    {
        using var g = new torch.Generator((ulong)seed);
        Params Make() => Params.Create(Enumerable.Range(0, entries).Select(i =>
            new KeyValuePair<string, Tensor>($"~/p{i}", torch.randn([1 + i % 3, 2], float64, generator: g) * 3)).ToList());
        return (Make(), Make());
    }

    private static bool Near(double a, double b) => Math.Abs(a - b) <= 1e-10 * (1 + Math.Abs(a));

    [Property(MaxTest = 50)]
    public Property SubtractUndoesAdd(PositiveInt seed, PositiveInt entries)
    {
        var (x, y) = RandomPair(seed.Get, 1 + entries.Get % 6);
        var back = x.Add(y).Subtract(y);
        return Prop.ToProperty(x.All(kv => kv.Value.allclose(back[kv.Key], rtol: 1e-12, atol: 1e-12))
            && x.Subtract(x).Norm().item<double>() == 0);
    }

    [Property(MaxTest = 50)]
    public Property VdotIsTheSumOfElementwiseProductsAndNormSquaredIsVdotWithItself(PositiveInt seed, PositiveInt entries, NormalFloat a)
    {
        var (x, y) = RandomPair(seed.Get, 1 + entries.Get % 6);
        var sum = x.Sum(kv => kv.Value.data<double>().ToArray().Zip(y[kv.Key].data<double>().ToArray(), (p, q) => p * q).Sum());
        var vdot = x.Vdot(y).item<double>();
        var norm = x.Norm().item<double>();
        var ok = Near(sum, vdot) && Near(norm * norm, x.Vdot(x).item<double>()) && Near(x.Norm(squared: true).item<double>(), x.Vdot(x).item<double>())
            && Near(a.Get * vdot, x.Scale(a.Get).Vdot(y).item<double>()) && Near(vdot, y.Vdot(x).item<double>());
        return Prop.ToProperty(ok).Label($"vdot {vdot}, sum {sum}, norm {norm}");
    }

    [Property(MaxTest = 50)]
    public Property PartitionThenMergeIsTheIdentity(PositiveInt seed, PositiveInt entries, byte mask)
    {
        var (x, _) = RandomPair(seed.Get, 1 + entries.Get % 8);
        var (selected, others) = x.Partition(path => (mask >> (path[^1] - '0') & 1) == 1);
        return Prop.ToProperty(ParamsTree.Merge(selected, others).BitwiseEquals(x)
            && selected.Keys.All(k => (mask >> (k[^1] - '0') & 1) == 1) && others.Keys.All(k => (mask >> (k[^1] - '0') & 1) == 0));
    }
}
