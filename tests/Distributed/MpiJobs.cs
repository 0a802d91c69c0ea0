using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace MiniHaiku.Tests.Distributed;

/// <summary>What an <c>mpiexec</c> job printed and how it ended.</summary>
public sealed record MpiJob(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    /// <summary>Both streams, for failure messages.</summary>
    public string All => Stdout + Stderr;

    /// <summary>The value of <c>key=value</c> on a line <c>rank R: …</c>.</summary>
    public string Value(int rank, string key)
    {
        var m = Regex.Match(Stdout, $@"^rank {rank}: .*\b{key}=(\S+)", RegexOptions.Multiline);
        Assert.True(m.Success, $"rank {rank} printed no {key}=…\n{All}");
        return m.Groups[1].Value;
    }
}

/// <summary>
/// Starts commands under MPICH's <c>mpiexec</c> with a time limit (a hang fails the test and the job is
/// killed). The tests that use it share one collection, so the jobs run one after another.
/// </summary>
[CollectionDefinition(Name)]
public sealed class MpiJobs
{
    public const string Name = "MPI jobs";

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(180);

    public static MpiJob Run(int ranks, params string[] command)
    {
        var info = new ProcessStartInfo(FindMpiexec()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-n");
        info.ArgumentList.Add(ranks.ToString(CultureInfo.InvariantCulture));
        foreach (var a in command) info.ArgumentList.Add(a);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"mpiexec -n {ranks} {string.Join(' ', command)} still running after {Timeout.TotalSeconds} s (a hang); killed.\n{stdout.Result}{stderr.Result}");
        }
        process.WaitForExit();
        return new MpiJob(process.ExitCode, stdout.Result, stderr.Result, clock.Elapsed);
    }

    /// <summary>MPICH's launcher: <c>mpiexec.mpich</c> (Debian's name, even when Open MPI owns <c>mpiexec</c>), else <c>mpiexec</c>.</summary>
    private static string FindMpiexec()
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator);
        foreach (var name in new[] { "mpiexec.mpich", "mpiexec" })
            foreach (var dir in dirs)
            {
                var path = Path.Combine(dir, name);
                if (File.Exists(path)) return path;
            }
        throw new InvalidOperationException("mpiexec not found on PATH: these tests need MPICH (Debian/Ubuntu: apt-get install mpich; .ci/run installs it).");
    }
}
