using MiniHaiku.Distributed;

namespace MiniHaiku.Tests.Distributed;

public sealed class ShardSamplerTests
{
    [Fact]
    public void TheRanksPartsOfABatchAreDisjointContiguousBalancedAndCoverIt()
    {
        for (var size = 1; size <= 5; size++)
            for (long length = 0; length <= 23; length++)
            {
                var parts = Enumerable.Range(0, size).Select(r => new ShardSampler(r, size).Range(length)).ToList();
                Assert.Equal(0, parts[0].Start);
                for (var r = 1; r < size; r++) Assert.Equal(parts[r - 1].Start + parts[r - 1].Count, parts[r].Start);
                Assert.Equal(length, parts.Sum(p => p.Count));
                Assert.True(parts.Max(p => p.Count) - parts.Min(p => p.Count) <= 1, $"unbalanced for L={length}, N={size}");
            }
    }

    [Fact]
    public void EveryRankSeesItsShardOfTheSameShuffledBatches()
    {
        const int count = 23, batch = 5, size = 3;
        var key = RngKey.FromSeed(11);
        var perRank = Enumerable.Range(0, size)
            .Select(r => new ShardSampler(r, size).Batches(count, batch, idx => idx.data<long>().ToArray(), key).ToList()).ToList();
        var whole = new ShardSampler(0, 1).Batches(count, batch, idx => idx.data<long>().ToArray(), key).ToList();
        Assert.Equal(5, whole.Count);
        Assert.All(perRank, r => Assert.Equal(whole.Count, r.Count));
        for (var b = 0; b < whole.Count; b++)
            Assert.Equal(whole[b], perRank.SelectMany(r => r[b]).ToArray()); // the shards, in rank order, are the batch
        Assert.Equal(Enumerable.Range(0, count).Select(i => (long)i), whole.SelectMany(x => x).Order());
        Assert.NotEqual(Enumerable.Range(0, count).Select(i => (long)i), whole.SelectMany(x => x)); // shuffled
    }

    [Fact]
    public void RankOutsideTheJobIsRejected()
    {
        Assert.Throws<DistributedException>(() => new ShardSampler(2, 2));
        Assert.Throws<DistributedException>(() => new ShardSampler(-1, 2));
        Assert.Throws<DistributedException>(() => new ShardSampler(0, 0));
    }
}
