using MiniHaiku.Data;
using MiniHaiku.Layers;

namespace MiniHaiku.Tests.Data;

public class LabeledImagesTests
{
    private static LabeledImages Make(int n)
    {
        var pixels = Enumerable.Range(0, n * 2 * 3).Select(i => (byte)i).ToArray();
        var labels = Enumerable.Range(0, n).Select(i => (byte)(n - 1 - i)).ToArray();
        return LabeledImages.FromIdx(new IdxArray([n, 2, 3], pixels), "img", new IdxArray([n], labels), "lbl");
    }

    [Fact]
    public void BatchGathersMatchingImagesAndLabels()
    {
        using var data = Make(5);
        using var idx = torch.tensor(new long[] { 4, 0 });
        var (x, y) = data.Batch(idx);
        Assert.Equal([2L, 1, 2, 3], x.shape);
        Assert.Equal(new long[] { 0, 4 }, y.data<long>().ToArray());
        Assert.Equal(24f / 255f, x[0, 0, 0, 0].item<float>(), 6);
        Assert.Equal(0f, x[1, 0, 0, 0].item<float>());
    }

    [Fact]
    public void SliceReturnsConsecutiveRows()
    {
        using var data = Make(5);
        var (x, y) = data.Slice(1, 3);
        Assert.Equal([3L, 1, 2, 3], x.shape);
        Assert.Equal(new long[] { 3, 2, 1 }, y.data<long>().ToArray());
    }

    [Fact]
    public void BatchChannelsLastHoldsTheSamePixelsAsBatchInNhwc()
    {
        using var data = Make(5);
        using var idx = torch.tensor(new long[] { 4, 0, 2 });
        var (nchw, labels) = data.Batch(idx);
        var (nhwc, labelsLast) = data.BatchChannelsLast(idx);
        Assert.Equal([3L, 2, 3, 1], nhwc.shape);
        Assert.True(nhwc.eq(nchw.permute(0, 2, 3, 1)).all().item<bool>());
        Assert.True(labelsLast.eq(labels).all().item<bool>());
        Assert.Equal(24f / 255f, nhwc[0, 0, 0, 0].item<float>(), 6);
        Assert.Equal(29f / 255f, nhwc[0, 1, 2, 0].item<float>(), 6);   // image 4, row 1, column 2
    }

    [Fact]
    public void SliceChannelsLastHoldsTheSamePixelsAsSliceInNhwcWithoutCopying()
    {
        using var data = Make(5);
        var (nchw, labels) = data.Slice(1, 3);
        var (nhwc, labelsLast) = data.SliceChannelsLast(1, 3);
        Assert.Equal([3L, 2, 3, 1], nhwc.shape);
        Assert.True(nhwc.eq(nchw.permute(0, 2, 3, 1)).all().item<bool>());
        Assert.True(labelsLast.eq(labels).all().item<bool>());
        using var one = torch.ones(1);
        nhwc.add_(one);   // a view of the stored images: writing through it changes them
        Assert.Equal(6f / 255f + 1f, data.Images[1, 0, 0, 0].item<float>(), 5);
    }

    [Fact]
    public void ChannelsLastBatchesFeedDefaultLayoutConvolutions()
    {
        using var data = Make(4);
        var (x, _) = data.SliceChannelsLast(0, 4);
        var conv = Hk.Transform((Tensor images) =>
            from c in Conv2D.Create(5, 2).Call(images)   // NHWC by default: one input channel
            select c);
        var p = conv.Init(0, x);
        Assert.Equal([2L, 2, 1, 5], p["~/Conv2D_0/__call__/w"].shape);
        Assert.Equal([4L, 2, 3, 5], conv.Apply(p, x).shape);
    }

    [Fact]
    public void ImagesWithTwoDimensionsAreRejected()
    {
        var e = Assert.Throws<DataFormatException>(() =>
            LabeledImages.FromIdx(new IdxArray([2, 2], new byte[4]), "img", new IdxArray([2], new byte[2]), "lbl"));
        Assert.Equal("img", e.FilePath);
    }

    [Fact]
    public void ConstructorRejectsMismatchedShapes()
    {
        using var images = zeros(3, 1, 2, 2);
        using var labels = zeros(4, dtype: int64);
        Assert.Throws<DataFormatException>(() => new LabeledImages(images, labels, "x"));
    }
}
