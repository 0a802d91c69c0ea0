using System.Text;

namespace MiniHaiku.Internal;

/// <summary>The C++ runtime (libstdc++) the dynamic loader gives this process, and which symbol versions it defines.</summary>
internal static class HostLibstdcxx
{
    private static readonly string[] DefaultDirectories =
        ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"];

    /// <summary>The libstdc++.so.6 already mapped into this process (the .NET runtime links it), else the one
    /// the loader would find first in LD_LIBRARY_PATH and the usual directories; null if none.</summary>
    internal static string? Locate()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                var slash = line.IndexOf('/');
                if (slash >= 0 && Path.GetFileName(line.AsSpan(slash)).StartsWith("libstdc++.so.6", StringComparison.Ordinal))
                    return line[slash..];
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(DefaultDirectories)
            .Select(d => Path.Combine(d, "libstdc++.so.6"))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>Whether the library at <paramref name="path"/> defines the symbol version <paramref name="version"/>
    /// (e.g. GLIBCXX_3.4.32): its name appears, NUL-terminated, in the file's string tables.</summary>
    internal static bool Defines(string path, string version) =>
        File.ReadAllBytes(path).AsSpan().IndexOf(Encoding.ASCII.GetBytes(version + "\0")) >= 0;
}
