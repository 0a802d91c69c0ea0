using TorchSharp;

namespace MiniHaiku;

/// <summary>
/// An immutable 128-bit random key, in the spirit of JAX's PRNG keys: never advanced in place, only
/// split into new keys or folded with data. The same key gives the same draws on every platform.
/// </summary>
/// <remarks>
/// Keys are derived with SplitMix64-style mixing, which is platform independent. Draws are made with
/// a <see cref="torch.Generator"/> seeded from the key (<see cref="CreateGenerator"/>); the library
/// never touches torch's global generator.
/// </remarks>
/// <param name="Hi">The high 64 bits.</param>
/// <param name="Lo">The low 64 bits.</param>
public readonly record struct RngKey(ulong Hi, ulong Lo)
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>Makes a key from an integer seed.</summary>
    /// <example><code>var key = RngKey.FromSeed(42);</code></example>
    /// <param name="seed">Any 64-bit seed.</param>
    /// <returns>A key determined by <paramref name="seed"/> alone.</returns>
    public static RngKey FromSeed(long seed)
    {
        var s = unchecked((ulong)seed);
        return new RngKey(Mix(s ^ 0x6A09E667F3BCC908UL), Mix(s + Golden));
    }

    /// <summary>Derives a new key from this key and a string (e.g. a parameter path). Cost: O(length).</summary>
    /// <example><code>RngKey forW = key.Fold("~/Linear_0/__call__/w");   // how Init derives each parameter's key from its path</code></example>
    /// <param name="data">The data to fold in.</param>
    /// <returns>A key that depends on this key and every character of <paramref name="data"/>.</returns>
    public RngKey Fold(string data)
    {
        ArgumentNullException.ThrowIfNull(data);
        ulong h = Hi ^ 0xBB67AE8584CAA73BUL, l = Lo;
        foreach (var c in data)
        {
            h = Mix(h ^ c);
            l = Mix(l + h + Golden);
        }
        return new RngKey(Mix(h ^ (ulong)data.Length), Mix(l ^ 0x3C6EF372FE94F82BUL));
    }

    /// <summary>Derives a new key from this key and an integer.</summary>
    /// <param name="data">The integer to fold in.</param>
    /// <returns>A key that depends on this key and <paramref name="data"/>.</returns>
    public RngKey Fold(long data)
    {
        var d = unchecked((ulong)data);
        return new RngKey(Mix(Hi ^ Mix(d + Golden)), Mix(Lo + Mix(d ^ 0xA54FF53A5F1D36F1UL)));
    }

    /// <summary>Splits this key into <paramref name="count"/> independent keys.</summary>
    /// <example><code>RngKey[] perDevice = key.Split(4);</code></example>
    /// <param name="count">How many keys, at least 1.</param>
    /// <returns>New keys, all different from each other and from this one.</returns>
    public RngKey[] Split(int count)
    {
        if (count < 1) throw new ModelUsageException($"RngKey.Split needs at least one key, got count = {count}.");
        var keys = new RngKey[count];
        for (var i = 0; i < count; i++) keys[i] = Fold(unchecked(0x5BE0CD19137E2179L + i));
        return keys;
    }

    /// <summary>Splits this key in two: one to keep splitting, one to use.</summary>
    /// <example><code>var (next, use) = key.Split();   // keep splitting next; draw with use</code></example>
    /// <returns>Two new independent keys.</returns>
    public (RngKey Next, RngKey Use) Split() => (Fold(0x5BE0CD19137E2179L), Fold(0x5BE0CD19137E217AL));

    /// <summary>A 64-bit seed for a <see cref="torch.Generator"/>.</summary>
    /// <example><code>ulong seed = key.ToSeed();</code></example>
    /// <returns>The seed derived from this key.</returns>
    public ulong ToSeed() => Mix(Hi ^ Mix(Lo));

    /// <summary>Creates a CPU <see cref="torch.Generator"/> seeded from this key. The caller disposes it.</summary>
    /// <example><code>
    /// using var g = key.CreateGenerator();
    /// Tensor noise = randn([3, 4], generator: g);
    /// </code></example>
    /// <returns>A new generator.</returns>
    public torch.Generator CreateGenerator() => new(ToSeed());

    /// <inheritdoc />
    public override string ToString() => $"RngKey({Hi:x16}{Lo:x16})";

    private static ulong Mix(ulong z)
    {
        unchecked
        {
            z += Golden;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
