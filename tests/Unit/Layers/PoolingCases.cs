using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

/// <summary>Shared inputs of MaxPoolTests and AvgPoolTests.</summary>
public static class PoolingCases
{
    internal static readonly Tensor XNchw = Random(1, 2, 3, 7, 6);

    private static Tensor InBothLayouts(Func<DataFormat, Tensor, Tensor> run, DataFormat format) =>
        format == DataFormat.ChannelsFirst ? run(format, XNchw) : run(format, XNchw.permute(0, 2, 3, 1)).permute(0, 3, 1, 2);

    internal static Tensor Max(int k, int? s, Pad? p, DataFormat format) => InBothLayouts((fmt, x) =>
        Hk.Transform((Tensor v) => MaxPool.Create(k, s, p, fmt).Call(v)).Apply(Params.Empty, x), format);

    internal static Tensor Avg(int k, int? s, Pad? p, DataFormat format) => InBothLayouts((fmt, x) =>
        Hk.Transform((Tensor v) => AvgPool.Create(k, s, p, fmt).Call(v)).Apply(Params.Empty, x), format);
}
