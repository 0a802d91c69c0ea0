using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace MiniHaiku.Tests.Properties.Layers;

public class BroadcastDropoutProperties
{
    /// <summary>For any shape and set of broadcast axes, the dropped input is constant along those axes (one mask value per slice).</summary>
    [Property(MaxTest = 40)]
    public Property TheMaskIsConstantAlongBroadcastAxes(PositiveInt shapeSeed, PositiveInt axesSeed, PositiveInt seed)
    {
        var rank = 1 + shapeSeed.Get % 4;
        var shape = Enumerable.Range(0, rank).Select(i => (long)(1 + (shapeSeed.Get / (i + 1)) % 4)).ToArray();
        var axes = Enumerable.Range(0, rank).Where(i => ((axesSeed.Get >> i) & 1) == 1).ToArray();
        var x = torch.ones(shape, ScalarType.Float64);
        var y = Hk.Transform((Tensor v) => Hk.Dropout(0.5, v, axes)).Apply(Params.Empty, x, seed: seed.Get);
        var first = y;
        foreach (var a in axes) first = first.narrow(a, 0, 1);
        var ok = y.Equals(first.expand(shape)) && y.eq(0).logical_or(y.eq(2)).all().item<bool>();
        return Prop.ToProperty(ok).Label($"shape {ShapeText.Format(shape)}, broadcast [{string.Join(", ", axes)}]");
    }
}
