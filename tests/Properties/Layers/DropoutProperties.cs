using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace MiniHaiku.Tests.Properties.Layers;

public class DropoutProperties
{
    /// <summary>Every output is 0 or input / (1 − rate), and the same seed gives the same mask.</summary>
    [Property(MaxTest = 30)]
    public Property SurvivorsAreScaledAndMasksAreKeyed(NormalFloat rate, long seed)
    {
        var r = Math.Abs(rate.Get) % 0.95;
        var f = Hk.Transform((Tensor x) => Hk.Dropout(r, x));
        using var g = new torch.Generator(7);
        var x = torch.randn([64], dtype: ScalarType.Float64, generator: g) + 3;   // non-zero inputs
        var y = f.Apply(Params.Empty, x, seed);
        var kept = y.ne(0);
        var scaledOk = (y.masked_select(kept) - x.masked_select(kept) / (1 - r)).abs().max().item<double>() < 1e-9 || kept.sum().item<long>() == 0;
        var deterministic = y.Equals(f.Apply(Params.Empty, x, seed));
        return Prop.ToProperty(scaledOk && deterministic).Label($"rate {r}, seed {seed}");
    }
}
