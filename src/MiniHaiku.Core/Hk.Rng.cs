namespace MiniHaiku;

public static partial class Hk
{
    /// <summary>
    /// A fresh random key, split from the run's key sequence. During <c>Init</c> the sequence comes from
    /// the seed; during <c>Apply</c> from the seed or key the caller passed.
    /// </summary>
    /// <example><code>
    /// from k in Hk.NextRngKey()   // Apply needs a seed or key
    /// select x + k.Normal(x.shape) * 0.1
    /// </code></example>
    /// <returns>A model producing a key never returned before in this run.</returns>
    /// <exception cref="MissingRngException"><c>Apply</c> was called without a seed or key.</exception>
    public static Model<RngKey> NextRngKey() => ModelOps.Lift(static frame =>
    {
        if (frame.Rng is not { } key) throw new MissingRngException(frame.CurrentScope.Path);
        var (next, use) = key.Split();
        return (use, frame with { Rng = next });
    });

    /// <summary>Like <see cref="NextRngKey"/>, but produces null when the caller gave no seed or key.</summary>
    /// <example><code>
    /// from k in Hk.MaybeNextRngKey()
    /// select k is RngKey r ? x + r.Normal(x.shape) * 0.1 : x   // noise only when Apply was given a key
    /// </code></example>
    /// <returns>A model producing a key or null.</returns>
    public static Model<RngKey?> MaybeNextRngKey() => ModelOps.Lift(static frame =>
    {
        if (frame.Rng is not { } key) return ((RngKey?)null, frame);
        var (next, use) = key.Split();
        return ((RngKey?)use, frame with { Rng = next });
    });
}
