using MiniHaiku.Internal;

namespace MiniHaiku.Tests.Unit.Internal;

/// <summary>The GLIBCXX_3.4.32 edit that <see cref="NativeBackend"/> makes in its cached copy, checked on TorchSharp's
/// real library (read from the NuGet cache, never written), and against the build's fix-up of the same file.</summary>
public class ElfVersionNeedsTests
{
    private const string Version = "GLIBCXX_3.4.32";

    private static string CacheCopy =>
        Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
            "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    private static string OutputCopy =>
        Path.Combine(Path.GetDirectoryName(typeof(torch).Assembly.Location)!, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    [Fact]
    public void MarkWeakSetsTheFlagOnceAndOnlyOnTheNamedNeed()
    {
        if (!File.Exists(CacheCopy)) return; // TorchSharp's Linux library is restored on every host, but be safe
        var bytes = File.ReadAllBytes(CacheCopy);
        Assert.Equal(0, ElfVersionNeeds.Flags(bytes, Version)!.Value & ElfVersionNeeds.WeakFlag);
        var other = ElfVersionNeeds.Flags(bytes, "GLIBCXX_3.4.18");
        Assert.NotNull(other);

        Assert.True(ElfVersionNeeds.MarkWeak(bytes, Version));
        Assert.Equal(ElfVersionNeeds.WeakFlag, ElfVersionNeeds.Flags(bytes, Version)!.Value & ElfVersionNeeds.WeakFlag);
        Assert.Equal(other, ElfVersionNeeds.Flags(bytes, "GLIBCXX_3.4.18"));
        Assert.False(ElfVersionNeeds.MarkWeak(bytes, Version)); // already weak: nothing to change

        var original = File.ReadAllBytes(CacheCopy);
        Assert.Equal(original.Length, bytes.Length);
        Assert.Equal(1, original.Zip(bytes).Count(p => p.First != p.Second)); // exactly one byte differs
    }

    [Fact]
    public void MarkWeakGivesTheSameFileAsTheBuildFixUp()
    {
        if (!File.Exists(CacheCopy) || !File.Exists(OutputCopy)) return;
        var output = File.ReadAllBytes(OutputCopy);
        if ((ElfVersionNeeds.Flags(output, Version)!.Value & ElfVersionNeeds.WeakFlag) == 0) return; // this host needs no fix-up
        var bytes = File.ReadAllBytes(CacheCopy);
        ElfVersionNeeds.MarkWeak(bytes, Version);
        Assert.Equal(output, bytes);
    }

    [Fact]
    public void UnknownVersionsAndNonElfFilesAreLeftAlone()
    {
        byte[] text = "not an ELF file, just text long enough to have a header of sixty-four bytes or more"u8.ToArray();
        Assert.Null(ElfVersionNeeds.Flags(text, Version));
        Assert.False(ElfVersionNeeds.MarkWeak(text, Version));
        Assert.Equal("not an ELF file, just text long enough to have a header of sixty-four bytes or more"u8.ToArray(), text);

        if (!File.Exists(CacheCopy)) return;
        var bytes = File.ReadAllBytes(CacheCopy);
        Assert.Null(ElfVersionNeeds.Flags(bytes, "GLIBCXX_99.0"));
        Assert.False(ElfVersionNeeds.MarkWeak(bytes, "GLIBCXX_99.0"));
    }
}
