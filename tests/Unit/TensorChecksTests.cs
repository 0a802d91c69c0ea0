namespace MiniHaiku.Tests;

/// <summary>TensorChecks: disposed tensors are named; a live tensor's description is never formatted (hot paths).</summary>
public class TensorChecksTests
{
    [Fact]
    public void ADisposedTensorIsNamedWithTheInterpolatedDescription()
    {
        var t = torch.zeros(2);
        t.Dispose();
        var path = "~/Linear_0/__call__/w";
        var e = Assert.Throws<DisposedTensorException>(() => TensorChecks.RequireAlive(t, $"parameter '{path}' of {2} layers"));
        Assert.Contains("parameter '~/Linear_0/__call__/w' of 2 layers", e.Message);
    }

    [Fact]
    public void ALiveTensorsDescriptionIsNotFormatted()
    {
        using var t = torch.zeros(2);
        var path = "~/Linear_0/__call__/w";
        for (var i = 0; i < 10; i++) TensorChecks.RequireAlive(t, $"parameter '{path}' number {i}");   // warm up (JIT)
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++) TensorChecks.RequireAlive(t, $"parameter '{path}' number {i}");
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
