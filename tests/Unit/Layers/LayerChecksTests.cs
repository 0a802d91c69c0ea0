using MiniHaiku.Layers;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MiniHaiku.Tests.Layers;

public class LayerChecksTests
{
    public static TheoryData<ScalarType> DTypes()
    {
        var data = new TheoryData<ScalarType>();
        foreach (var t in Enum.GetValues<ScalarType>()) data.Add(t);
        return data;
    }

    [Theory]
    [MemberData(nameof(DTypes))]
    public void IsFloatingAgreesWithLibtorch(ScalarType dtype)
    {
        // LayerChecks.IsFloating answers is_floating_point() without a native call; it must agree for every dtype
        // libtorch can create.
        Tensor t;
        try { t = torch.empty([1], dtype: dtype); }
        catch (Exception) { return; } // a dtype libtorch cannot create on the CPU has no tensor to mis-classify
        using (t) Assert.Equal(t.is_floating_point(), LayerChecks.IsFloating(dtype));
    }

    [Fact]
    public void LinearStillRejectsIntegerInputNamingItsDtype()
    {
        var f = Hk.Transform((Tensor x) => Linear.Create(3).Call(x));
        var e = Assert.Throws<LayerInputException>(() => f.Init(0, torch.ones([2, 4], dtype: ScalarType.Int32)));
        Assert.Contains("Int32", e.Message);
        Assert.Contains("~/Linear_0", e.Message);
    }
}
