using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using MiniHaiku.Internal;
using TorchSharp;

namespace MiniHaiku;

/// <summary>
/// Loads TorchSharp's native library where the build-time fix-up cannot reach: F# scripts (<c>dotnet fsi</c>) and
/// notebooks, which ignore the application's list of native libraries. Runs by itself the first time any MiniHaiku
/// type is used, so a script needs no code of its own as long as it touches MiniHaiku before <c>torch</c>.
/// </summary>
/// <remarks>
/// <para>TorchSharp 0.107.0's <c>libLibTorchSharp.so</c> needs <c>GLIBCXX_3.4.32</c>, which Debian 12's libstdc++
/// lacks. On Linux x64, when the process has no application copy of that library (a script or a notebook), this
/// loads the backend's libtorch from the NuGet packages folder, then TorchSharp's library: the package's own file
/// when the host's libstdc++ is new enough, otherwise a copy with that one version need marked weak, written once to
/// <c>$XDG_CACHE_HOME/minihaiku/natives</c> (default <c>~/.cache/minihaiku/natives</c>) and announced by one line
/// on standard error. Nothing is ever written to the NuGet packages folder, and TorchSharp finds its library already
/// loaded, so it never falls back to copying ~480 MB of natives into that folder.</para>
/// <para>An application (build, run, test, publish) normally has a copy fixed by the build; this then does nothing,
/// unless the copy was not fixed (built elsewhere, or <c>-p:MiniHaikuPatchLibTorchSharp=false</c>) on a host that
/// needs it. Other platforms, and hosts whose libstdc++ has the version, are left as they are. Set the environment
/// variable <c>MINIHAIKU_NATIVE_SETUP=0</c> to turn all of this off.</para>
/// </remarks>
/// <example>
/// A script that calls <c>torch</c> before anything of MiniHaiku calls this first:
/// <code lang="fsharp">
/// #r "nuget: MiniHaiku.Core, 0.1.0"
/// #r "nuget: libtorch-cpu-linux-x64, 2.10.0"
/// MiniHaiku.NativeBackend.Prepare() |> ignore
/// let x = TorchSharp.torch.ones(2L, 3L)
/// </code>
/// </example>
public static class NativeBackend
{
    private const string NeededVersion = "GLIBCXX_3.4.32";
    private const string LibTorchSharp = "libLibTorchSharp.so";
    private const string NativeRid = "linux-x64";

    private static readonly Lazy<string> Outcome = new(PrepareOnce);

    /// <summary>
    /// Makes sure TorchSharp's native library will load (see the remarks of <see cref="NativeBackend"/>). Runs once
    /// per process; later calls return the first outcome. Never throws: when something fails, the outcome (also
    /// written to standard error) says what, and TorchSharp's own loading then reports the rest.
    /// </summary>
    /// <returns>One line saying what was done, e.g. which file was loaded.</returns>
    public static string Prepare() => Outcome.Value;

    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries",
        Justification = "TorchSharp's native library must be loaded before TorchSharp's own loader runs; scripts have no other hook.")]
    internal static void PrepareWhenMiniHaikuLoads() => Prepare();

    [SuppressMessage("Design", "CA1031:Do not catch general exception types",
        Justification = "Runs from a module initializer: an escaping exception would make every MiniHaiku type unusable.")]
    private static string PrepareOnce()
    {
        try
        {
            return Run();
        }
        catch (Exception e)
        {
            var message = $"MiniHaiku: could not prepare TorchSharp's native library ({e.GetType().Name}: {e.Message}); TorchSharp will try on its own.";
            Console.Error.WriteLine(message);
            return message;
        }
    }

    private static string Run()
    {
        if (Environment.GetEnvironmentVariable("MINIHAIKU_NATIVE_SETUP") is "0" or "false" or "off")
            return "MiniHaiku: native setup turned off (MINIHAIKU_NATIVE_SETUP).";
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            return "MiniHaiku: nothing to do: not linux-x64.";

        var stdcxx = HostLibstdcxx.Locate();
        var hostIsNewEnough = stdcxx is null || HostLibstdcxx.Defines(stdcxx, NeededVersion);

        // An application launched with its deps.json: the runtime's native search directories hold TorchSharp's
        // natives, which the build fixed up. Leave them to TorchSharp unless they still need the fix.
        var applicationCopy = NativeSearchDirectories().Select(d => Path.Combine(d, LibTorchSharp)).FirstOrDefault(File.Exists);
        if (applicationCopy is not null)
        {
            if (hostIsNewEnough) return $"MiniHaiku: nothing to do: the host's libstdc++ has {NeededVersion}.";
            if (IsFixed(applicationCopy)) return $"MiniHaiku: nothing to do: {applicationCopy} is already fixed up.";
            var directory = Path.GetDirectoryName(applicationCopy)!;
            PreloadLibTorch(directory);
            return LoadFixedCopy(applicationCopy, stdcxx!);
        }

        // A script or notebook: TorchSharp.dll is referenced where it lies (a NuGet packages folder, or a build
        // output). TorchSharp would look for its natives only after failing to load them by name.
        var torchAssembly = typeof(torch).Assembly;
        var (torchSharpNative, libTorchNative) = LocateNatives(torchAssembly);
        if (torchSharpNative is null)
            return $"MiniHaiku: {LibTorchSharp} not found next to {torchAssembly.Location}; TorchSharp will look for it on its own.";
        if (libTorchNative is null)
            return $"MiniHaiku: no libtorch-cpu-{NativeRid} {LibTorchVersion(torchAssembly)} natives found; reference a backend " +
                   $"(e.g. #r \"nuget: libtorch-cpu-{NativeRid}, {LibTorchVersion(torchAssembly)}\"). TorchSharp will look on its own.";

        PreloadLibTorch(libTorchNative);
        if (hostIsNewEnough || IsFixed(torchSharpNative))
        {
            NativeLibrary.Load(torchSharpNative);
            return $"MiniHaiku: loaded {torchSharpNative} (libtorch from {libTorchNative}).";
        }
        return LoadFixedCopy(torchSharpNative, stdcxx!);
    }

    private static bool IsFixed(string library) =>
        (ElfVersionNeeds.Flags(File.ReadAllBytes(library), NeededVersion) is not { } flags) || (flags & ElfVersionNeeds.WeakFlag) != 0;

    /// <summary>Directories the runtime searches for native libraries (from the application's deps.json).</summary>
    private static string[] NativeSearchDirectories() =>
        (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") as string ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>TorchSharp's native library and the directory of libtorch's, for a TorchSharp.dll referenced in place:
    /// from a build output (<c>runtimes/linux-x64/native</c> next to it) or a NuGet packages folder
    /// (<c>torchsharp/{version}/lib/{tfm}/TorchSharp.dll</c>, libtorch in <c>libtorch-cpu-linux-x64/{version}</c>).</summary>
    private static (string? TorchSharp, string? LibTorch) LocateNatives(Assembly torchAssembly)
    {
        var assemblyDirectory = Path.GetDirectoryName(torchAssembly.Location);
        if (string.IsNullOrEmpty(assemblyDirectory)) return (null, null);

        foreach (var outputNatives in new[] { Path.Combine(assemblyDirectory, "runtimes", NativeRid, "native"), assemblyDirectory })
        {
            var candidate = Path.Combine(outputNatives, LibTorchSharp);
            if (File.Exists(candidate))
                return (candidate, File.Exists(Path.Combine(outputNatives, "libtorch_cpu.so")) ? outputNatives : null);
        }

        var versionDirectory = Path.GetDirectoryName(Path.GetDirectoryName(assemblyDirectory));
        var packageDirectory = Path.GetDirectoryName(versionDirectory);
        if (versionDirectory is null || packageDirectory is null ||
            !string.Equals(Path.GetFileName(packageDirectory), "torchsharp", StringComparison.OrdinalIgnoreCase))
            return (null, null);
        var torchSharpNative = Path.Combine(versionDirectory, "runtimes", NativeRid, "native", LibTorchSharp);
        if (!File.Exists(torchSharpNative)) return (null, null);

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var roots = new[] { Path.GetDirectoryName(packageDirectory), Environment.GetEnvironmentVariable("NUGET_PACKAGES"), Path.Combine(home, ".nuget", "packages") }
            .Where(r => !string.IsNullOrEmpty(r) && Directory.Exists(r)).Distinct();
        var version = LibTorchVersion(torchAssembly);
        var libTorch = roots
            .Select(r => Path.Combine(r!, $"libtorch-cpu-{NativeRid}", version, "runtimes", NativeRid, "native"))
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "libtorch_cpu.so")));
        return (torchSharpNative, libTorch);
    }

    /// <summary>The libtorch package version this TorchSharp was built against (a constant in TorchSharp.dll,
    /// read without running TorchSharp's static constructor), e.g. 2.10.0.</summary>
    private static string LibTorchVersion(Assembly torchAssembly)
    {
        var raw = torchAssembly.GetType("TorchSharp.torch")?
            .GetField("libtorchPackageVersion", BindingFlags.NonPublic | BindingFlags.Static)?
            .GetRawConstantValue() as string ?? "2.10.0.0";
        var parts = raw.Split('.');
        return parts.Length == 4 && parts[3] == "0" ? string.Join('.', parts[..3]) : raw;
    }

    /// <summary>Loads libtorch by path, so that TorchSharp's library (and TorchSharp's own load by name) finds it
    /// already in the process.</summary>
    private static void PreloadLibTorch(string directory)
    {
        foreach (var library in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" })
        {
            var path = Path.Combine(directory, library);
            if (File.Exists(path)) NativeLibrary.Load(path);
        }
    }

    /// <summary>Loads a copy of <paramref name="source"/> with its GLIBCXX_3.4.32 need marked weak, kept in a private
    /// per-user cache folder keyed by the source's hash (written once, through a rename).</summary>
    private static string LoadFixedCopy(string source, string stdcxx)
    {
        var bytes = File.ReadAllBytes(source);
        var key = Convert.ToHexString(SHA256.HashData(bytes))[..16].ToLowerInvariant();
        var directory = Path.Combine(CacheRoot(), "natives", "libLibTorchSharp-" + key);
        var target = Path.Combine(directory, LibTorchSharp);
        var message = $"MiniHaiku: host libstdc++ ({stdcxx}) lacks {NeededVersion}; loaded {target}, a copy of {source} with that need marked weak (see README, 'TorchSharp on Debian 12').";
        if (!File.Exists(target))
        {
            ElfVersionNeeds.MarkWeak(bytes, NeededVersion);
            Directory.CreateDirectory(directory);
            var temporary = $"{target}.{Environment.ProcessId}.tmp";
            File.WriteAllBytes(temporary, bytes);
            File.Move(temporary, target, overwrite: true);
            Console.Error.WriteLine(message);
        }
        NativeLibrary.Load(target);
        return message;
    }

    /// <summary><c>$XDG_CACHE_HOME/minihaiku</c>, or <c>~/.cache/minihaiku</c>.</summary>
    private static string CacheRoot()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "minihaiku");
    }
}
