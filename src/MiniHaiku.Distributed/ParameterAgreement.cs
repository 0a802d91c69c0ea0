namespace MiniHaiku.Distributed;

/// <summary>The result of <see cref="MpiSession.CompareAcrossRanks"/>.</summary>
/// <param name="Digest">This rank's digest (SHA-256 of names, dtypes, shapes and bytes, lower-case hex).</param>
/// <param name="RootDigest">Rank 0's digest.</param>
/// <param name="DifferentRanks">The ranks whose digest differs from rank 0's; empty when all agree.</param>
public sealed record ParameterAgreement(string Digest, string RootDigest, IReadOnlyList<int> DifferentRanks)
{
    /// <summary>True when every rank holds bitwise the same values.</summary>
    public bool Identical => DifferentRanks.Count == 0;
}
