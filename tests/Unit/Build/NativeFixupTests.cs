using System.Text;

namespace MiniHaiku.Tests.Build;

/// <summary>
/// The build's GLIBCXX fix-up (build/LibTorchSharpGlibcxx.targets): the output copy of
/// libLibTorchSharp.so has its GLIBCXX_3.4.32 need marked weak exactly when the host's libstdc++ lacks
/// that version, and the NuGet cache's copy is never modified.
/// </summary>
public class NativeFixupTests
{
    private const string Version = "GLIBCXX_3.4.32";
    private const ushort VerFlagWeak = 0x2;

    private static string OutputCopy =>
        Path.Combine(Path.GetDirectoryName(typeof(torch).Assembly.Location)!, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    private static string CacheCopy =>
        Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
            "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    [Fact]
    public void TorchLoadsAndComputes()
    {
        using var t = torch.ones(2, 3);
        Assert.Equal(6f, t.sum().item<float>());
    }

    [Fact]
    public void OutputCopyIsWeakExactlyWhenHostLacksTheVersion()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists(OutputCopy)) return; // the fix-up only exists for linux-x64
        var hostHasIt = HostLibstdcxx() is { } lib && File.ReadAllBytes(lib).AsSpan().IndexOf(Encoding.ASCII.GetBytes(Version + "\0")) >= 0;
        var flags = VersionNeedFlags(OutputCopy, Version);
        Assert.NotNull(flags);
        Assert.Equal(!hostHasIt, (flags!.Value & VerFlagWeak) != 0);
    }

    [Fact]
    public void NuGetCacheCopyIsNeverModified()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists(OutputCopy)) return;
        Assert.True(File.Exists(CacheCopy), $"expected the NuGet cache copy at {CacheCopy}");
        var flags = VersionNeedFlags(CacheCopy, Version);
        Assert.NotNull(flags);
        Assert.Equal(0, flags!.Value & VerFlagWeak);
    }

    private static string? HostLibstdcxx() =>
        new[] { "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib" }
            .Select(d => Path.Combine(d, "libstdc++.so.6")).FirstOrDefault(File.Exists);

    /// <summary>Reads vna_flags of the version-need entry named <paramref name="version"/> (ELF64 LE), or null.</summary>
    private static ushort? VersionNeedFlags(string path, string version)
    {
        var b = File.ReadAllBytes(path);
        var shoff = BitConverter.ToInt64(b, 0x28);
        int shentsize = BitConverter.ToUInt16(b, 0x3A), shnum = BitConverter.ToUInt16(b, 0x3C);
        for (var i = 0; i < shnum; i++)
        {
            var sh = (int)(shoff + (long)i * shentsize);
            if (BitConverter.ToUInt32(b, sh + 4) != 0x6ffffffe) continue; // SHT_GNU_verneed
            var off = BitConverter.ToInt64(b, sh + 0x18);
            int link = BitConverter.ToInt32(b, sh + 0x28), count = BitConverter.ToInt32(b, sh + 0x2C);
            var strOff = BitConverter.ToInt64(b, (int)(shoff + (long)link * shentsize) + 0x18);
            var vn = (int)off;
            for (var n = 0; n < count; n++)
            {
                var aux = vn + (int)BitConverter.ToUInt32(b, vn + 8);
                for (var a = 0; a < BitConverter.ToUInt16(b, vn + 2); a++)
                {
                    var name = (int)(strOff + BitConverter.ToUInt32(b, aux + 8));
                    if (Encoding.ASCII.GetString(b, name, Array.IndexOf(b, (byte)0, name) - name) == version)
                        return BitConverter.ToUInt16(b, aux + 4);
                    aux += (int)BitConverter.ToUInt32(b, aux + 12);
                }
                vn += (int)BitConverter.ToUInt32(b, vn + 12);
            }
        }
        return null;
    }
}
