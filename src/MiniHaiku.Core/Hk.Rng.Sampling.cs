using System.Collections;
using System.Collections.Immutable;
using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku;

public static partial class Hk
{
    /// <summary>
    /// <paramref name="count"/> fresh random keys at once (Haiku's <c>next_rng_keys</c>): the same as
    /// <paramref name="count"/> calls of <see cref="NextRngKey"/>.
    /// </summary>
    /// <example><code>
    /// from keys in Hk.NextRngKeys(2)
    /// select x + keys[0].Normal(x.shape) * keys[1].Bernoulli(0.5, x.shape)
    /// </code></example>
    /// <param name="count">How many keys (0 or more).</param>
    /// <returns>A model producing the keys.</returns>
    /// <exception cref="MissingRngException"><c>Apply</c> was called without a seed or key (and <paramref name="count"/> &gt; 0).</exception>
    public static Model<ImmutableArray<RngKey>> NextRngKeys(int count)
    {
        if (count < 0) throw new ModelUsageException($"Hk.NextRngKeys needs a non-negative count, got {count}.");
        return ModelOps.Lift(frame =>
        {
            if (count == 0) return (ImmutableArray<RngKey>.Empty, frame);
            if (frame.Rng is not { } key) throw new MissingRngException(frame.CurrentScope.Path);
            var keys = ImmutableArray.CreateBuilder<RngKey>(count);
            for (var i = 0; i < count; i++)
            {
                var (next, use) = key.Split();
                keys.Add(use);
                key = next;
            }
            return (keys.MoveToImmutable(), frame with { Rng = key });
        });
    }

    /// <summary>
    /// Runs <paramref name="body"/> with its own key sequence started from <paramref name="key"/> (Haiku's
    /// <c>with_rng</c>), e.g. to reproduce a dropout mask; the outer sequence continues afterwards as if the
    /// body had drawn nothing. A null key makes <see cref="NextRngKey"/> inside fail (and
    /// <see cref="MaybeNextRngKey"/> give null).
    /// </summary>
    /// <example><code>Hk.WithRng(RngKey.FromSeed(7), Hk.Dropout(0.5, x))   // the same mask on every call, whatever Apply was given</code></example>
    /// <typeparam name="T">The body's value type.</typeparam>
    /// <param name="key">The key sequence for the body, or null for none.</param>
    /// <param name="body">The computation.</param>
    /// <returns>The computation with its own keys.</returns>
    public static Model<T> WithRng<T>(RngKey? key, Model<T> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return ModelOps.Around(f => f with { Rng = key }, body, (now, before) => now with { Rng = before.Rng });
    }
}

/// <summary>
/// An immutable, endless sequence of keys split from one key (Haiku's <c>PRNGSequence</c>), for code
/// outside a transform such as a training loop. <see cref="Next"/> returns a key and the rest of the
/// sequence; enumerating gives the same keys in the same order every time.
/// </summary>
/// <param name="Key">The key the rest of the sequence is split from.</param>
public readonly record struct PrngSequence(RngKey Key) : IEnumerable<RngKey>
{
    /// <summary>A sequence started from a seed.</summary>
    /// <example><code>
    /// var (k, rest) = PrngSequence.FromSeed(0).Next();
    /// foreach (var key in PrngSequence.FromSeed(1).Take(3).Keys) Console.WriteLine(key);
    /// </code></example>
    /// <param name="seed">The seed.</param>
    /// <returns>The sequence.</returns>
    public static PrngSequence FromSeed(long seed) => new(RngKey.FromSeed(seed));

    /// <summary>The next key and the sequence after it (the same split as <see cref="Hk.NextRngKey"/>).</summary>
    /// <returns>A key to use and the rest of the sequence.</returns>
    public (RngKey Key, PrngSequence Remaining) Next()
    {
        var (next, use) = Key.Split();
        return (use, new PrngSequence(next));
    }

    /// <summary>The first <paramref name="count"/> keys and the sequence after them.</summary>
    /// <param name="count">How many keys.</param>
    /// <returns>The keys and the rest.</returns>
    public (ImmutableArray<RngKey> Keys, PrngSequence Remaining) Take(int count)
    {
        if (count < 0) throw new ModelUsageException($"PrngSequence.Take: count must be non-negative, got {count}.");
        var keys = ImmutableArray.CreateBuilder<RngKey>(count);
        var rest = this;
        for (var i = 0; i < count; i++)
        {
            var (k, r) = rest.Next();
            keys.Add(k);
            rest = r;
        }
        return (keys.MoveToImmutable(), rest);
    }

    /// <inheritdoc />
    public IEnumerator<RngKey> GetEnumerator()
    {
        var rest = this;
        while (true)
        {
            var (k, r) = rest.Next();
            yield return k;
            rest = r;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// Random draws from an <see cref="RngKey"/> (like <c>jax.random</c>): the same key always gives the same
/// values, and no code ever touches a <see cref="torch.Generator"/> or torch's global generator.
/// Split a key (<see cref="RngKey.Split(int)"/>, <see cref="Hk.NextRngKey"/>) for independent draws.
/// </summary>
public static class Sampling
{
    private static void RequireFloating(ScalarType dtype, string what)
    {
        if (!torch.is_floating_point(torch.empty(0, dtype: dtype)))
            throw new ModelUsageException($"Sampling.{what} needs a floating-point dtype, got {dtype}.");
    }

    private static void RequireShape(long[] shape, string what)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Any(d => d < 0)) throw new ModelUsageException($"Sampling.{what} got the negative shape {ShapeText.Format(shape)}.");
    }

    /// <summary>Standard normal values (mean 0, standard deviation 1) of <paramref name="shape"/>.</summary>
    /// <example><code>Tensor noise = key.Normal([batch, width]);   // the same key always gives the same draw</code></example>
    /// <param name="key">The key.</param>
    /// <param name="shape">The shape.</param>
    /// <param name="dtype">A floating dtype; default Float32.</param>
    /// <returns>The draw.</returns>
    public static Tensor Normal(this RngKey key, long[] shape, ScalarType dtype = ScalarType.Float32)
    {
        RequireShape(shape, nameof(Normal));
        RequireFloating(dtype, nameof(Normal));
        using var g = key.CreateGenerator();
        return torch.randn(shape, dtype: dtype, generator: g);
    }

    /// <summary>Uniform values in [<paramref name="minval"/>, <paramref name="maxval"/>) of <paramref name="shape"/>.</summary>
    /// <example><code>Tensor u = key.Uniform([batch, width], minval: -1, maxval: 1);</code></example>
    /// <param name="key">The key.</param>
    /// <param name="shape">The shape.</param>
    /// <param name="minval">The lower bound (included).</param>
    /// <param name="maxval">The upper bound (excluded); must exceed <paramref name="minval"/>.</param>
    /// <param name="dtype">A floating dtype; default Float32.</param>
    /// <returns>The draw.</returns>
    public static Tensor Uniform(this RngKey key, long[] shape, double minval = 0, double maxval = 1, ScalarType dtype = ScalarType.Float32)
    {
        RequireShape(shape, nameof(Uniform));
        RequireFloating(dtype, nameof(Uniform));
        if (!(maxval > minval)) throw new ModelUsageException($"Sampling.Uniform needs maxval > minval, got [{minval}, {maxval}).");
        using var g = key.CreateGenerator();
        using var u = torch.rand(shape, dtype: dtype, generator: g);
        using var scaled = u.Times(maxval - minval);
        return scaled.Plus(minval);
    }

    /// <summary>Booleans that are true with probability <paramref name="p"/>, of <paramref name="shape"/>.</summary>
    /// <example><code>Tensor keep = key.Bernoulli(0.9, x.shape);   // Bool</code></example>
    /// <param name="key">The key.</param>
    /// <param name="p">The probability of true, in [0, 1].</param>
    /// <param name="shape">The shape.</param>
    /// <returns>A boolean tensor.</returns>
    public static Tensor Bernoulli(this RngKey key, double p, long[] shape)
    {
        RequireShape(shape, nameof(Bernoulli));
        if (!(p >= 0 && p <= 1)) throw new ModelUsageException($"Sampling.Bernoulli needs a probability in [0, 1], got {p}.");
        using var g = key.CreateGenerator();
        using var u = torch.rand(shape, dtype: ScalarType.Float64, generator: g);
        return u.LessThan(p);
    }

    /// <summary>
    /// One category index per row of <paramref name="logits"/> (<c>[..., K]</c>, unnormalised log
    /// probabilities), drawn with the Gumbel-max trick: the result has shape <c>[...]</c> and dtype Int64.
    /// </summary>
    /// <example><code>Tensor sampled = key.Categorical(logits);   // one class index per row</code></example>
    /// <param name="key">The key.</param>
    /// <param name="logits">Floating logits with at least one axis and K ≥ 1 categories.</param>
    /// <returns>The indices.</returns>
    public static Tensor Categorical(this RngKey key, Tensor logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.dim() < 1 || logits.shape[^1] < 1)
            throw new ModelUsageException($"Sampling.Categorical needs logits of shape [..., K] with K ≥ 1, got {ShapeText.Format(logits.shape)}.");
        if (!logits.is_floating_point()) throw new ModelUsageException($"Sampling.Categorical needs floating-point logits, got {logits.dtype}.");
        using var scope = torch.NewDisposeScope();
        using var g = key.CreateGenerator();
        var u = torch.rand(logits.shape, dtype: ScalarType.Float64, generator: g).ClampTo(1e-300, 1.0);
        var gumbel = u.log().neg().log().neg();
        return logits.to_type(ScalarType.Float64).Plus(gumbel).argmax(-1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <paramref name="count"/> draws per row of <paramref name="probabilities"/> (<c>[K]</c> or <c>[N, K]</c>,
    /// non-negative weights), as Int64 indices of shape <c>[count]</c> or <c>[N, count]</c>.
    /// </summary>
    /// <example><code>Tensor picks = key.Multinomial(logits.softmax(-1), count: 5, replacement: false);</code></example>
    /// <param name="key">The key.</param>
    /// <param name="probabilities">Non-negative weights (need not sum to one), each row with a positive sum.</param>
    /// <param name="count">Draws per row.</param>
    /// <param name="replacement">Whether a category may be drawn more than once.</param>
    /// <returns>The indices.</returns>
    public static Tensor Multinomial(this RngKey key, Tensor probabilities, int count, bool replacement = true)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        if (probabilities.dim() is < 1 or > 2)
            throw new ModelUsageException($"Sampling.Multinomial needs probabilities of shape [K] or [N, K], got {ShapeText.Format(probabilities.shape)}.");
        if (!probabilities.is_floating_point()) throw new ModelUsageException($"Sampling.Multinomial needs floating-point probabilities, got {probabilities.dtype}.");
        if (count < 1) throw new ModelUsageException($"Sampling.Multinomial needs count ≥ 1, got {count}.");
        if (!replacement && count > probabilities.shape[^1])
            throw new ModelUsageException($"Sampling.Multinomial without replacement cannot draw {count} of {probabilities.shape[^1]} categories.");
        using (var negative = probabilities.LessThan(0).any())
        using (var sums = probabilities.sum(-1))
        using (var zero = sums.LessThan(double.Epsilon).any())
        using (var finite = torch.isfinite(probabilities).all())
            if (negative.item<bool>() || zero.item<bool>() || !finite.item<bool>())
                throw new ModelUsageException("Sampling.Multinomial needs finite, non-negative weights with a positive sum in every row.");
        using var g = key.CreateGenerator();
        return torch.multinomial(probabilities, count, replacement, generator: g);
    }
}
