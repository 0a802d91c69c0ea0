using System.Reflection;
using System.Runtime.InteropServices;

namespace MiniHaiku.Distributed;

/// <summary>
/// Points MPI.NET's native calls (it imports <c>msmpi.dll</c>, the Windows MS-MPI name) at MPICH's
/// <c>libmpich.so.12</c>: MPICH and MS-MPI share one ABI (integer handles, the same constants).
/// Open MPI has another ABI and is not supported.
/// </summary>
internal static class MpichLibrary
{
    private static readonly string[] Candidates = ["libmpich.so.12", "libmpich.so", "libmpi.so.12"];
    private static readonly object Gate = new();
    private static bool installed;

    /// <summary>The library that was loaded, once <see cref="Install"/> ran.</summary>
    internal static string? LoadedName { get; private set; }

    /// <summary>Installs the resolver once per process.</summary>
    /// <exception cref="DistributedException">No MPICH library could be loaded.</exception>
    internal static void Install()
    {
        lock (Gate)
        {
            if (installed) return;
            if (OperatingSystem.IsWindows()) { installed = true; return; } // msmpi.dll resolves by itself
            var handle = IntPtr.Zero;
            foreach (var name in Candidates)
                if (NativeLibrary.TryLoad(name, out handle)) { LoadedName = name; break; }
            if (handle == IntPtr.Zero)
                throw new DistributedException(
                    $"The MPICH library ({string.Join(", ", Candidates)}) could not be loaded. Install MPICH " +
                    "(Debian/Ubuntu: sudo apt-get install mpich) and start the program with mpiexec -n N. " +
                    "Open MPI is not supported (MPI.NET uses the MPICH/MS-MPI ABI).");
            var loaded = handle;
            NativeLibrary.SetDllImportResolver(typeof(MPI.Environment).Assembly,
                (name, _, _) => name.StartsWith("msmpi", StringComparison.OrdinalIgnoreCase) ? loaded : IntPtr.Zero);
            installed = true;
        }
    }
}
