using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Distributed;

/// <summary>
/// This process's place in an MPI job (MPICH, started with <c>mpiexec -n N</c>): its rank, the number of
/// ranks, and the few collectives data-parallel training needs. One per process; dispose it at the end
/// (MPI cannot be started again after that). A program not started by <c>mpiexec</c> is a job of one rank.
/// </summary>
/// <example>
/// <code>
/// return MpiSession.Run(mpi =>
/// {
///     if (mpi.IsRoot) Console.WriteLine($"{mpi.Size} ranks");
///     // ... build a DataParallelTrainer with DataParallel.Create(mpi, ...) and train ...
///     return 0;
/// });
/// </code>
/// </example>
public sealed class MpiSession : IDisposable
{
    private static int started;
    private readonly MPI.Environment environment;
    private bool disposed;

    private MpiSession(MPI.Environment environment, int rank, int size)
    {
        this.environment = environment;
        Rank = rank;
        Size = size;
    }

    /// <summary>This process's rank, 0 to <see cref="Size"/> - 1.</summary>
    public int Rank { get; }

    /// <summary>The number of ranks in the job.</summary>
    public int Size { get; }

    /// <summary>True on rank 0, the rank that writes checkpoints and reports progress.</summary>
    public bool IsRoot => Rank == 0;

    /// <summary>Time spent inside MPI collectives by this session so far.</summary>
    public TimeSpan CommunicationTime => TimeSpan.FromTicks(communicationTicks);

    private long communicationTicks;

    /// <summary>
    /// Starts MPI in this process (resolving MPI.NET's native calls to MPICH's <c>libmpich.so.12</c>)
    /// and sets the number of torch threads: with N ranks on one machine, each rank should use its
    /// share of the cores, and 1 is the safe default.
    /// </summary>
    /// <param name="torchThreads">Torch intra-op threads for this rank; at least 1.</param>
    /// <returns>The session.</returns>
    /// <exception cref="DistributedException">MPICH is not installed, or MPI was already started in this process.</exception>
    public static MpiSession Start(int torchThreads = 1)
    {
        if (torchThreads < 1) throw new DistributedException($"torchThreads must be at least 1, got {torchThreads}.");
        MpichLibrary.Install();
        if (Interlocked.Exchange(ref started, 1) == 1)
            throw new DistributedException("MPI was already started in this process: create one MpiSession per process and pass it around.");
        var args = Array.Empty<string>();
        var environment = new MPI.Environment(ref args);
        var world = MPI.Communicator.world;
        torch.set_num_threads(torchThreads);
        return new MpiSession(environment, world.Rank, world.Size);
    }

    /// <summary>
    /// Runs <paramref name="body"/> in a fresh session and returns its exit code. If it throws, the error is
    /// printed to standard error with this rank's number; then, unless every rank already stopped together
    /// (a <see cref="DistributedException"/> raised by a collective step), the whole job is ended with
    /// <c>MPI_Abort</c> so that no rank is left waiting forever for this one.
    /// </summary>
    /// <param name="body">The program; receives the session.</param>
    /// <param name="torchThreads">Torch threads per rank (see <see cref="Start"/>).</param>
    /// <returns>The exit code: <paramref name="body"/>'s, or 1 after an error every rank saw.</returns>
    public static int Run(Func<MpiSession, int> body, int torchThreads = 1)
    {
        ArgumentNullException.ThrowIfNull(body);
        using var session = Start(torchThreads);
        try
        {
            return body(session);
        }
        catch (Exception e)
        {
            Console.Out.Flush();
            var report = $"rank {session.Rank} of {session.Size}: {e.GetType().Name}: {e.Message}";
            if (e is DistributedException { StoppedAllRanks: true })
            {
                Console.Error.WriteLine(report);
                return 1;
            }
            // One write for both lines, then Abort (which waits for the process manager to forward them): a line
            // written just before MPI_Abort could otherwise be lost when mpiexec tears the job down.
            Console.Error.WriteLine(report + System.Environment.NewLine +
                $"rank {session.Rank} of {session.Size}: ending all {session.Size} ranks (MPI_Abort) so that none waits for this one.");
            session.Abort(1);
            return 1; // not reached: MPI_Abort ends the process
        }
    }

    /// <summary>Ends every rank of the job at once (<c>MPI_Abort</c>). Print what went wrong first.</summary>
    /// <param name="exitCode">The exit code mpiexec reports.</param>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822:Mark members as static",
        Justification = "Aborting belongs to a started session (MPI initialized); a static Abort could be called without one.")]
    public void Abort(int exitCode)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        // MPI_Abort makes mpiexec kill every rank at once; give it a moment to forward what was just printed.
        Thread.Sleep(250);
        _ = MPI.Unsafe.MPI_Abort(MPI.Unsafe.MPI_COMM_WORLD, exitCode); // does not return
    }

    /// <summary>Waits until every rank reaches this point.</summary>
    public void Barrier() => Check(MPI.Unsafe.MPI_Barrier(MPI.Unsafe.MPI_COMM_WORLD), "MPI_Barrier");

    /// <summary>
    /// Runs <paramref name="action"/> on rank 0 only (writing a checkpoint, printing a summary), then lets
    /// every rank know whether it succeeded: if it threw, rank 0 rethrows it inside a
    /// <see cref="DistributedException"/> and every other rank throws one too, so no rank goes on alone.
    /// </summary>
    /// <param name="action">The rank-0 work.</param>
    /// <exception cref="DistributedException">The action failed on rank 0.</exception>
    public void OnRoot(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        Exception? error = null;
        if (IsRoot)
        {
            try { action(); }
            catch (Exception e) { error = e; }
        }
        var flags = new double[] { error is null ? 0 : 1 };
        AllreduceSum(flags);
        if (flags[0] != 0)
            throw new DistributedException(IsRoot
                ? $"Rank 0 of {Size} failed in its rank-0-only work: {error!.Message}. Every rank stops."
                : $"Rank 0 of {Size} failed in its rank-0-only work (its error is printed by rank 0); rank {Rank} stops too.", [0], error)
            { StoppedAllRanks = true };
    }

    /// <summary>
    /// Whether every rank holds bitwise the same parameters: each rank hashes its own
    /// (<see cref="ParameterDigest.Of"/>) and compares with rank 0's.
    /// </summary>
    /// <param name="parameters">This rank's parameters (or model state).</param>
    /// <returns>This rank's digest and the ranks whose digest differs from rank 0's (empty when all agree).</returns>
    public ParameterAgreement CompareAcrossRanks(Params parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var digest = ParameterDigest.Of(parameters);
        var mine = Convert.FromHexString(digest);
        var roots = (byte[])mine.Clone();
        BroadcastBytes(roots, 0);
        var differs = new double[Size];
        differs[Rank] = roots.AsSpan().SequenceEqual(mine) ? 0 : 1;
        AllreduceSum(differs);
        var different = Enumerable.Range(0, Size).Where(r => differs[r] != 0).ToList();
        return new ParameterAgreement(digest, Convert.ToHexString(roots).ToLowerInvariant(), different);
    }

    /// <summary>Sums <paramref name="values"/> over all ranks, in place.</summary>
    internal unsafe void AllreduceSum(double[] values)
    {
        fixed (double* p = values)
            AllreduceSumInPlace((IntPtr)p, values.Length, MPI.Unsafe.MPI_DOUBLE, sizeof(double));
    }

    /// <summary>
    /// Sums a tensor over all ranks, in place (one <c>MPI_Allreduce</c> with <c>MPI_IN_PLACE</c> on its
    /// memory, no copy): afterwards every rank holds the same sum. Every rank must call it with a tensor
    /// of the same dtype and element count. For metrics, or to time communication.
    /// </summary>
    /// <param name="values">A contiguous CPU float32 or float64 tensor.</param>
    /// <exception cref="DistributedException">Another dtype, a non-contiguous or a non-CPU tensor.</exception>
    public unsafe void AllreduceSumInPlace(Tensor values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var flat = values;
        if (!flat.is_contiguous() || flat.device_type != DeviceType.CPU)
            throw new DistributedException($"AllreduceSumInPlace needs a contiguous CPU tensor, got a {(flat.is_contiguous() ? "" : "non-contiguous ")}{flat.device_type} one.");
        var (datatype, size) = flat.dtype switch
        {
            ScalarType.Float32 => (MPI.Unsafe.MPI_FLOAT, 4),
            ScalarType.Float64 => (MPI.Unsafe.MPI_DOUBLE, 8),
            _ => throw new DistributedException($"AllreduceSumInPlace takes float32 or float64, not {flat.dtype}."),
        };
        if (flat.numel() == 0) return;
        var bytes = flat.bytes;
        fixed (byte* p = bytes)
            AllreduceSumInPlace((IntPtr)p, flat.numel(), datatype, size);
    }

    /// <summary>Copies rank <paramref name="root"/>'s bytes into <paramref name="buffer"/> on every rank.</summary>
    internal unsafe void BroadcastBytes(Span<byte> buffer, int root)
    {
        fixed (byte* p = buffer)
        {
            var clock = Stopwatch.StartNew();
            for (long offset = 0; offset < buffer.Length; offset += ChunkElements)
            {
                var count = (int)Math.Min(ChunkElements, buffer.Length - offset);
                Check(MPI.Unsafe.MPI_Bcast((IntPtr)(p + offset), count, MPI.Unsafe.MPI_BYTE, root, MPI.Unsafe.MPI_COMM_WORLD), "MPI_Bcast");
            }
            communicationTicks += clock.Elapsed.Ticks;
        }
    }

    private const long ChunkElements = 1 << 28;

    private unsafe void AllreduceSumInPlace(IntPtr data, long count, int datatype, int elementSize)
    {
        var inPlace = new IntPtr(-1); // MPI_IN_PLACE in MPICH and MS-MPI
        var clock = Stopwatch.StartNew();
        for (long offset = 0; offset < count; offset += ChunkElements)
        {
            var n = (int)Math.Min(ChunkElements, count - offset);
            Check(MPI.Unsafe.MPI_Allreduce(inPlace, data + (nint)(offset * elementSize), n, datatype, MPI.Unsafe.MPI_SUM, MPI.Unsafe.MPI_COMM_WORLD), "MPI_Allreduce");
        }
        communicationTicks += clock.Elapsed.Ticks;
    }

    private void Check(int code, string call)
    {
        if (code != 0) throw new DistributedException($"{call} failed with MPI error code {code} on rank {Rank} of {Size}.");
    }

    /// <summary>Ends MPI in this process (<c>MPI_Finalize</c>): every rank must get here.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        environment.Dispose();
    }
}
