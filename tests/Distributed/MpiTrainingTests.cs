using System.Globalization;

namespace MiniHaiku.Tests.Distributed;

/// <summary>
/// Runs this assembly's <see cref="Program"/> under <c>mpiexec -n 2</c> (MPICH) and checks what each rank
/// printed. The MPI tests share a collection, so their jobs run one after another on a small machine.
/// </summary>
[Collection(MpiJobs.Name)]
public sealed class MpiTrainingTests
{
    private static MpiJob RunMpi(string scenario) => MpiJobs.Run(2, "dotnet", typeof(Program).Assembly.Location, scenario);

    [Fact]
    public void AfterKStepsBothRanksHoldIdenticalParametersEqualToASingleProcessOnWholeBatches()
    {
        var job = RunMpi("parity");
        Assert.True(job.ExitCode == 0, $"exit code {job.ExitCode}\n{job.All}");
        for (var rank = 0; rank < 2; rank++)
        {
            Assert.Equal("2", job.Value(rank, "size"));
            Assert.Equal("6", job.Value(rank, "steps"));
            Assert.Equal("True", job.Value(rank, "identical"));
            Assert.Equal("True", job.Value(rank, "state_identical"));
            Assert.True(double.Parse(job.Value(rank, "max_param_diff"), CultureInfo.InvariantCulture) < 1e-5, job.All);
            Assert.True(double.Parse(job.Value(rank, "max_state_diff"), CultureInfo.InvariantCulture) < 1e-6, job.All);
            Assert.True(double.Parse(job.Value(rank, "moved_from_init"), CultureInfo.InvariantCulture) > 1e-2, "training did not move the parameters\n" + job.All);
        }
        // Shards of a batch of 15 are 7 and 8 examples: the averaging is weighted by shard size.
        Assert.Equal("7,7,7,7,7,7", job.Value(0, "shards"));
        Assert.Equal("8,8,8,8,8,8", job.Value(1, "shards"));
        Assert.Equal(job.Value(0, "digest"), job.Value(1, "digest"));
    }

    [Fact]
    public void TheReadmeSampleTrainsOnTwoRanksAndEndsWithIdenticalParameters()
    {
        var job = RunMpi("readme");
        Assert.True(job.ExitCode == 0, $"exit code {job.ExitCode}\n{job.All}");
        Assert.Equal("2 ranks, 4 steps, identical parameters: True", job.Stdout.Trim());
    }

    [Fact]
    public void AnExceptionInOneRanksStepEndsBothRanksWithItsMessage()
    {
        var job = RunMpi("fail-in-step");
        Assert.NotEqual(0, job.ExitCode);
        Assert.Contains("rank 1 of 2: DistributedException: Rank 1 of 2 failed at step 3; this rank's error: InvalidOperationException: boom: a deliberate failure in rank 1's loss", job.Stderr);
        Assert.Contains("rank 0 of 2: DistributedException: Rank 1 of 2 failed at step 3 (its error is printed by that rank); rank 0 stops too.", job.Stderr);
        Assert.DoesNotContain("should not happen", job.Stdout);
    }

    [Fact]
    public void AnExceptionOutsideAnyStepAbortsTheWholeJob()
    {
        var job = RunMpi("fail-outside-step");
        Assert.NotEqual(0, job.ExitCode);
        Assert.Contains("rank 1 of 2: InvalidOperationException: boom: rank 1 failed before training", job.Stderr);
        Assert.Contains("rank 1 of 2: ending all 2 ranks (MPI_Abort)", job.Stderr);
        Assert.DoesNotContain("should not happen", job.Stdout);
    }

    [Fact]
    public void RankZeroOnlyWorkRunsOnRankZeroAndItsFailureStopsEveryRank()
    {
        var job = RunMpi("fail-on-root");
        Assert.NotEqual(0, job.ExitCode);
        Assert.Equal("True", job.Value(0, "first_on_root_ran_here"));
        Assert.Equal("False", job.Value(1, "first_on_root_ran_here"));
        Assert.Contains("rank 0 of 2: DistributedException: Rank 0 of 2 failed in its rank-0-only work: disk full (simulated) while writing model.safetensors. Every rank stops.", job.Stderr);
        Assert.Contains("rank 1 of 2: DistributedException: Rank 0 of 2 failed in its rank-0-only work (its error is printed by rank 0); rank 1 stops too.", job.Stderr);
        Assert.DoesNotContain("should not happen", job.Stdout);
    }

    [Fact]
    public void RanksWithDifferentSeedsRefuseToStart()
    {
        var job = RunMpi("seed-mismatch");
        Assert.NotEqual(0, job.ExitCode);
        for (var rank = 0; rank < 2; rank++)
            Assert.Contains($"rank {rank} of 2: DistributedException: Rank(s) 1 of 2 start with parameters, model state or a seed that differ in structure from rank 0's", job.Stderr);
        Assert.Contains("this is rank 1: 4 parameters, 1 state entries, seed 1", job.Stderr);
        Assert.DoesNotContain("should not happen", job.Stdout);
    }

    [Fact]
    public void RanksWithDifferentNumbersOfBatchesStopTogetherInsteadOfWaiting()
    {
        var job = RunMpi("uneven-batches");
        Assert.NotEqual(0, job.ExitCode);
        for (var rank = 0; rank < 2; rank++)
            Assert.Contains($"rank {rank} of 2: DistributedException: Rank(s) 1 of 2 ran out of batches at step 3 while others had one", job.Stderr);
        Assert.DoesNotContain("should not happen", job.Stdout);
    }
}
