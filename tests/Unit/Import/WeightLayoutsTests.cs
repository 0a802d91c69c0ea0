using MiniHaiku.Import;

namespace MiniHaiku.Tests.Import;

public sealed class WeightLayoutsTests
{
    [Theory]
    [InlineData(new long[] { 4, 3, 5 })]
    [InlineData(new long[] { 4, 3, 5, 2 })]
    [InlineData(new long[] { 4, 3, 5, 2, 3 })]
    public void OihwAndHwioAreInversesAndMoveEveryAxis(long[] oihw)
    {
        using var k = torch.arange(oihw.Aggregate(1L, (a, b) => a * b)).reshape(oihw).to(float32);
        using var hwio = WeightLayouts.OihwToHwio(k);
        Assert.Equal(oihw.Skip(2).Append(oihw[1]).Append(oihw[0]), hwio.shape);
        // Element [o, i, s…] lands at [s…, i, o].
        var last = oihw.Select(d => d - 1).ToArray();
        var spatial = last.Skip(2).ToArray();
        Assert.Equal(k[last.Select(i => TensorIndex.Single(i)).ToArray()].item<float>(),
            hwio[spatial.Append(last[1]).Append(last[0]).Select(i => TensorIndex.Single(i)).ToArray()].item<float>());
        using var back = WeightLayouts.HwioToOihw(hwio);
        Assert.Equal(k.shape, back.shape);
        Assert.True(back.eq(k).all().item<bool>());
    }

    [Fact]
    public void LinearWeightsAreTransposedBothWays()
    {
        using var torchWeight = torch.arange(6).reshape(2, 3).to(float32);
        using var haiku = WeightLayouts.TorchLinearToHaiku(torchWeight);
        Assert.Equal([3L, 2], haiku.shape);
        Assert.Equal(torchWeight[1, 2].item<float>(), haiku[2, 1].item<float>());
        using var back = WeightLayouts.HaikuLinearToTorch(haiku);
        Assert.Equal(torchWeight.shape, back.shape);
        Assert.True(back.eq(torchWeight).all().item<bool>());
    }

    [Fact]
    public void TorchAutoChoosesByRank()
    {
        using var bias = torch.ones(5);
        using var asIs = WeightLayouts.ToHaiku(WeightLayout.TorchAuto, bias);
        Assert.Equal([5L], asIs.shape);
        using var conv = WeightLayouts.ToHaiku(WeightLayout.TorchAuto, torch.zeros(8, 3, 5));
        Assert.Equal([5L, 3, 8], conv.shape);
        var e = Assert.Throws<WeightImportException>(() => WeightLayouts.OihwToHwio(torch.zeros(2, 3)));
        Assert.Equal("OihwToHwio needs a convolution kernel of rank 3 or more, got shape (2, 3).", e.Message);
    }
}
