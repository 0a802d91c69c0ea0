namespace MiniHaiku.Layers;

/// <summary>
/// How a convolution or pooling pads its input (Haiku's <c>hk.pad</c>): <see cref="Same"/> (output size ⌈in / stride⌉, extra
/// padding at the end like XLA), <see cref="Valid"/> (no padding), or explicit (low, high) amounts
/// per spatial axis.
/// </summary>
/// <example>
/// <code>
/// return Conv2D.Create(8, 3, padding: Pad.Explicit(1, 1)).Call(x);   // 1 on both sides of H and W
/// </code>
/// </example>
public sealed record Pad
{
    private Pad(string kind, IReadOnlyList<(long Low, long High)>? amounts)
    {
        Kind = kind;
        Amounts = amounts;
    }

    /// <summary>"SAME", "VALID" or "EXPLICIT".</summary>
    public string Kind { get; }

    /// <summary>The explicit (low, high) padding per spatial axis; null for SAME and VALID.</summary>
    public IReadOnlyList<(long Low, long High)>? Amounts { get; }

    /// <summary>Pads so the output has ⌈in / stride⌉ positions; an odd total puts the extra one at the end.</summary>
    public static Pad Same { get; } = new("SAME", null);

    /// <summary>No padding: only windows that fit entirely in the input.</summary>
    public static Pad Valid { get; } = new("VALID", null);

    /// <summary>The same (low, high) padding on every spatial axis.</summary>
    /// <param name="low">Positions added before.</param>
    /// <param name="high">Positions added after.</param>
    /// <returns>The padding.</returns>
    public static Pad Explicit(long low, long high) => new("EXPLICIT", [(low, high)]);

    /// <summary>Explicit (low, high) padding for each spatial axis, in order (height then width).</summary>
    /// <param name="amounts">One pair per spatial axis.</param>
    /// <returns>The padding.</returns>
    public static Pad Explicit(IReadOnlyList<(long Low, long High)> amounts)
    {
        ArgumentNullException.ThrowIfNull(amounts);
        if (amounts.Count == 0) throw new LayerConfigurationException(nameof(Pad), "explicit padding needs at least one (low, high) pair.");
        return new("EXPLICIT", amounts.ToArray());
    }

    /// <summary>Equality by kind and amounts.</summary>
    /// <param name="other">The other padding.</param>
    /// <returns>Whether both pad the same way.</returns>
    public bool Equals(Pad? other) =>
        other is not null && Kind == other.Kind &&
        (Amounts is null ? other.Amounts is null : other.Amounts is not null && Amounts.SequenceEqual(other.Amounts));

    /// <inheritdoc />
    public override int GetHashCode() => Kind.GetHashCode(StringComparison.Ordinal);

    /// <inheritdoc />
    public override string ToString() => Amounts is null ? Kind : "EXPLICIT(" + string.Join(", ", Amounts) + ")";

    internal void Validate(string layer, int spatialDims)
    {
        if (Amounts is null) return;
        if (Amounts.Count != 1 && Amounts.Count != spatialDims)
            throw new LayerConfigurationException(layer, $"explicit padding needs 1 or {spatialDims} (low, high) pairs, got {Amounts.Count}.");
        if (Amounts.Any(a => a.Low < 0 || a.High < 0))
            throw new LayerConfigurationException(layer, $"explicit padding must be non-negative, got {this}.");
    }

    /// <summary>The (low, high) padding of one spatial axis.</summary>
    internal (long Low, long High) For(int axis, long inputSize, long kernel, long stride, long dilation)
    {
        if (Amounts is not null) return Amounts[Amounts.Count == 1 ? 0 : axis];
        if (Kind == "VALID") return (0, 0);
        var effective = (kernel - 1) * dilation + 1;
        var output = (inputSize + stride - 1) / stride;
        var total = Math.Max((output - 1) * stride + effective - inputSize, 0);
        return (total / 2, total - total / 2);
    }
}
