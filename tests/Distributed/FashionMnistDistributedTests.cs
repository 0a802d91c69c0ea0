using System.Diagnostics;
using System.Text.RegularExpressions;

namespace MiniHaiku.Tests.Distributed;

/// <summary>
/// The example app's distributed mode, end to end: <c>mpiexec -n 2 dotnet MiniHaiku.FashionMnist.dll train
/// --distributed</c> on the app's embedded-sample IDX files (1,000 training images, one epoch).
/// </summary>
[Collection(MpiJobs.Name)]
public sealed class FashionMnistDistributedTests
{
    [Fact]
    public void TrainDistributedPrintsTheRanksAndEndsWithIdenticalParametersAndOneCheckpoint()
    {
        var root = RepositoryRoot();
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // …/bin/<configuration>/net10.0/
        var app = Path.Combine(root, "examples", "MiniHaiku.FashionMnist", "bin", configuration, "net10.0", "MiniHaiku.FashionMnist.dll");
        Assert.True(File.Exists(app), $"the example app is not built at {app}");
        var outDir = Path.Combine(Path.GetTempPath(), "minihaiku-distributed-" + Guid.NewGuid().ToString("N"));
        try
        {
            var job = MpiJobs.Run(2, "dotnet", app, "train", "--distributed", "--epochs", "1", "--model", "mlp",
                "--data", Path.Combine(root, "examples", "MiniHaiku.FashionMnist", "Sample"), "--out", outDir);
            Assert.True(job.ExitCode == 0, $"exit code {job.ExitCode}\n{job.All}");
            Assert.StartsWith("Distributed: 2 ranks (MPI), 1 torch thread(s) per rank", job.Stdout.TrimStart());
            Assert.Matches(new Regex(@"Parameter digest \(SHA-256, compared across ranks\): [0-9a-f]{64}"), job.Stdout);
            Assert.Contains("All 2 ranks hold identical parameters.", job.Stdout);
            Assert.Single(Regex.Matches(job.Stdout, "^test accuracy: ", RegexOptions.Multiline)); // rank 0 reports, once
            Assert.Equal(new[] { "metrics.csv", "metrics.png", "model.safetensors" }, Directory.GetFiles(outDir).Select(f => Path.GetFileName(f)).Order().ToArray());
        }
        finally
        {
            if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MiniHaiku.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("MiniHaiku.sln not found above " + AppContext.BaseDirectory);
    }
}
