using MiniHaiku.Data;

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
