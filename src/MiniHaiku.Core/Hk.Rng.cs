namespace MiniHaiku;

public static partial class Hk
{
    /// <summary>
    /// A fresh random key, split from the run's key sequence. During <c>Init</c> the sequence comes from
    /// the seed; during <c>Apply</c> from the seed or key the caller passed.
    /// </summary>
    /// <returns>A model producing a key never returned before in this run.</returns>
    /// <exception cref="MissingRngException"><c>Apply</c> was called without a seed or key.</exception>
    public static Model<RngKey> NextRngKey() => ModelOps.Lift(static frame =>
    {
        if (frame.Rng is not { } key) throw new MissingRngException(frame.CurrentScope.Path);
        var (next, use) = key.Split();
        return (use, frame with { Rng = next });
    });

    /// <summary>Like <see cref="NextRngKey"/>, but produces null when the caller gave no seed or key.</summary>
    /// <returns>A model producing a key or null.</returns>
    public static Model<RngKey?> MaybeNextRngKey() => ModelOps.Lift(static frame =>
    {
        if (frame.Rng is not { } key) return ((RngKey?)null, frame);
        var (next, use) = key.Split();
        return ((RngKey?)use, frame with { Rng = next });
    });
}
