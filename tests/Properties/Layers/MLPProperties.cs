using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MiniHaiku.Layers;

namespace MiniHaiku.Tests.Properties.Layers;

public class MLPProperties
{
    [Property(MaxTest = 30)]
    public Property MlpWithRandomSizesHasExactlyTwoParametersPerLayer(NonEmptyArray<PositiveInt> sizes, PositiveInt inputSize) =>
        Prop.ToProperty(Check(sizes.Get.Take(6).Select(s => 1 + s.Get % 7).ToArray(), 1 + inputSize.Get % 7));

    private static bool Check(int[] sizes, int inputSize)
    {
        var f = Hk.Transform((Tensor x) => MLP.Create(sizes).Call(x));
        var p = f.Init(0, ones(2, inputSize));
        var expectedShapes = sizes.SelectMany((s, i) => new[]
        {
            ($"~/MLP_0/__call__/Linear_{i}/__call__/w", new long[] { i == 0 ? inputSize : sizes[i - 1], s }),
            ($"~/MLP_0/__call__/Linear_{i}/__call__/b", new long[] { s }),
        });
        return p.Count == 2 * sizes.Length
            && expectedShapes.All(e => p.ContainsKey(e.Item1) && p[e.Item1].shape.SequenceEqual(e.Item2));
    }
}
