using MiniHaiku.Internal;

namespace MiniHaiku.Tests.Unit.Internal;

public class HostLibstdcxxTests
{
    [Fact]
    public void FindsTheProcessLibstdcxxAndReadsItsVersions()
    {
        if (!OperatingSystem.IsLinux()) return;
        var path = HostLibstdcxx.Locate();
        Assert.NotNull(path);
        Assert.True(File.Exists(path), path);
        Assert.StartsWith("libstdc++.so.6", Path.GetFileName(path));
        Assert.True(HostLibstdcxx.Defines(path!, "GLIBCXX_3.4"));     // every libstdc++ since GCC 3.4
        Assert.False(HostLibstdcxx.Defines(path!, "GLIBCXX_99.0"));
    }
}
