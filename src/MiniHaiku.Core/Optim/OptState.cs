using System.Collections.Immutable;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

/// <summary>
/// The immutable state of a <see cref="GradientTransformation"/>: a step count, named per-parameter
/// slots (e.g. Adam's <c>mu</c> and <c>nu</c>, each a <see cref="Params"/> with the parameters' keys)
/// and the states of inner transformations (for <see cref="Optimizers.Chain"/> and friends). Wrappers
/// keep plain numbers (e.g. <see cref="Optimizers.MultiSteps(GradientTransformation, int, bool, SkipUpdatePredicate?)"/>'s
/// <c>mini_step</c>, <see cref="Optimizers.InjectHyperparams"/>'s hyper-parameters) in <see cref="Numbers"/>.
/// </summary>
/// <param name="Count">How many updates this transformation has made.</param>
/// <param name="Slots">Per-parameter accumulators by slot name.</param>
/// <param name="Inner">The states of inner transformations, in order.</param>
public sealed record OptState(long Count, ImmutableSortedDictionary<string, Params> Slots, ImmutableList<OptState> Inner)
{
    private const string CountKey = "count";
    private const string NumberPrefix = "#";
    private static readonly ImmutableSortedDictionary<string, double> NoNumbers = ImmutableSortedDictionary.Create<string, double>(StringComparer.Ordinal);

    /// <summary>
    /// Named plain numbers (float64) of this state, e.g. a wrapper's step counters or injected
    /// hyper-parameters. Saved in checkpoints as float64 scalars under <c>{prefix}#{name}</c>.
    /// </summary>
    public ImmutableSortedDictionary<string, double> Numbers { get; init; } = NoNumbers;

    /// <summary>
    /// Names of the <see cref="Inner"/> states, in the same order, when the transformation names them
    /// (<see cref="Optimizers.NamedChain"/>, <see cref="Optimizers.MultiTransform"/>); empty otherwise.
    /// </summary>
    public ImmutableList<string> InnerNames { get; init; } = [];

    /// <summary>The number <paramref name="name"/> of this state.</summary>
    /// <param name="name">The name, e.g. <c>mini_step</c>.</param>
    /// <returns>Its value.</returns>
    /// <exception cref="MiniHaikuException">The state has no such number.</exception>
    public double Number(string name) => Numbers.TryGetValue(name, out var v) ? v
        : throw new OptimizerStateException($"This optimizer state has no number '{name}' (it has: {string.Join(", ", Numbers.Keys)}). Was it made by a different optimizer?");

    /// <summary>A copy of this state with the number <paramref name="name"/> set to <paramref name="value"/>.</summary>
    /// <param name="name">The name.</param>
    /// <param name="value">The value.</param>
    /// <returns>The new state; this one is unchanged.</returns>
    public OptState WithNumber(string name, double value)
    {
        ArgumentNullException.ThrowIfNull(name);
        return this with { Numbers = Numbers.SetItem(name, value) };
    }

    /// <summary>The inner state named <paramref name="name"/> (see <see cref="InnerNames"/>).</summary>
    /// <param name="name">The name given to <see cref="Optimizers.NamedChain"/> or the label of <see cref="Optimizers.MultiTransform"/>.</param>
    /// <returns>The inner state.</returns>
    /// <exception cref="MiniHaikuException">No inner state has that name.</exception>
    public OptState InnerState(string name)
    {
        var i = InnerNames.IndexOf(name, StringComparer.Ordinal);
        return i >= 0 && i < Inner.Count ? Inner[i]
            : throw new OptimizerStateException($"This optimizer state has no inner state named '{name}' (it has: [{string.Join(", ", InnerNames)}]).");
    }

    /// <summary>The state of a stateless transformation.</summary>
    public static OptState Empty { get; } = new(0, ImmutableSortedDictionary.Create<string, Params>(StringComparer.Ordinal), []);

    /// <summary>A state with only slots (count zero, no inner states).</summary>
    /// <param name="slots">Slot name and per-parameter tensors.</param>
    /// <returns>The state.</returns>
    public static OptState WithSlots(params (string Name, Params Values)[] slots) =>
        Empty with { Slots = slots.ToImmutableSortedDictionary(s => s.Name, s => s.Values, StringComparer.Ordinal) };

    /// <summary>A state that only holds inner states.</summary>
    /// <param name="inner">The inner states.</param>
    /// <returns>The state.</returns>
    public static OptState Of(IEnumerable<OptState> inner) => Empty with { Inner = inner.ToImmutableList() };

    /// <summary>The slot <paramref name="name"/>.</summary>
    /// <param name="name">The slot name, e.g. <c>mu</c>.</param>
    /// <returns>Its per-parameter tensors.</returns>
    public Params Slot(string name) => Slots.TryGetValue(name, out var p) ? p
        : throw new OptimizerStateException($"This optimizer state has no slot '{name}' (it has: {string.Join(", ", Slots.Keys)}). Was it made by a different optimizer?");

    /// <summary>Every tensor this state holds (slots of this and inner states), e.g. to dispose them.</summary>
    /// <returns>The tensors.</returns>
    public IEnumerable<Tensor> Tensors()
    {
        foreach (var slot in Slots.Values)
            foreach (var t in slot.Values) yield return t;
        foreach (var inner in Inner)
            foreach (var t in inner.Tensors()) yield return t;
    }

    /// <summary>
    /// Flattens the state into one <see cref="Params"/> (e.g. for a checkpoint): slot tensors under
    /// <c>{prefix}{slot}/{path}</c>, the count as an int64 scalar under <c>{prefix}count</c>, inner
    /// states under <c>{prefix}{index}/</c>, <see cref="Numbers"/> as float64 scalars under <c>{prefix}#{name}</c>.
    /// </summary>
    /// <param name="prefix">Prepended to every key.</param>
    /// <returns>The flat map.</returns>
    public Params ToParams(string prefix = "")
    {
        var entries = new List<KeyValuePair<string, Tensor>>();
        Flatten(prefix, entries);
        return Params.Create(entries);
    }

    private void Flatten(string prefix, List<KeyValuePair<string, Tensor>> into)
    {
        into.Add(new(prefix + CountKey, torch.tensor(Count, ScalarType.Int64)));
        foreach (var (name, value) in Numbers) into.Add(new(prefix + NumberPrefix + name, torch.tensor(value, ScalarType.Float64)));
        foreach (var (slot, values) in Slots)
            foreach (var (path, t) in values) into.Add(new(prefix + slot + "/" + path, t));
        for (var i = 0; i < Inner.Count; i++) Inner[i].Flatten(prefix + i + "/", into);
    }

    /// <summary>
    /// Rebuilds a state from <see cref="ToParams"/>'s output, taking its structure (slots, keys,
    /// shapes, dtypes) from <paramref name="template"/> (e.g. <c>optimizer.Init(params)</c>).
    /// </summary>
    /// <param name="flat">The flat map.</param>
    /// <param name="template">A state of the same optimizer for the same parameters.</param>
    /// <param name="prefix">The prefix used when flattening.</param>
    /// <returns>The state holding <paramref name="flat"/>'s tensors.</returns>
    /// <exception cref="OptimizerStateException">The count entry is missing or malformed, or an entry has another dtype.</exception>
    /// <exception cref="MissingParameterException">A slot entry is missing.</exception>
    /// <exception cref="ShapeMismatchException">A slot entry has another shape.</exception>
    public static OptState FromParams(Params flat, OptState template, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(flat);
        ArgumentNullException.ThrowIfNull(template);
        if (!flat.TryGetValue(prefix + CountKey, out var countTensor))
            throw new OptimizerStateException($"Optimizer state entry '{prefix + CountKey}' is missing.", prefix + CountKey);
        if (countTensor.numel() != 1 || countTensor.dtype != ScalarType.Int64)
            throw new OptimizerStateException($"Optimizer state entry '{prefix + CountKey}' must be a one-element int64 tensor, got {ShapeText.Format(countTensor.shape)} {countTensor.dtype}.", prefix + CountKey);
        var slots = template.Slots.ToImmutableSortedDictionary(
            kv => kv.Key,
            kv => kv.Value.Map((path, t) =>
            {
                var key = prefix + kv.Key + "/" + path;
                if (!flat.TryGetValue(key, out var v)) throw new MissingParameterException(key, flat.Nearest(key), "optimizer state");
                if (!ShapeText.SameShape(v.shape, t.shape)) throw new ShapeMismatchException(key, t.shape, v.shape, "The optimizer state was saved for different parameters.");
                if (v.dtype != t.dtype) throw new OptimizerStateException($"Optimizer state entry '{key}' has dtype {v.dtype} but {t.dtype} is expected.", key);
                return v;
            }),
            StringComparer.Ordinal);
        var numbers = template.Numbers.ToImmutableSortedDictionary(
            kv => kv.Key,
            kv =>
            {
                var key = prefix + NumberPrefix + kv.Key;
                if (!flat.TryGetValue(key, out var v)) throw new MissingParameterException(key, flat.Nearest(key), "optimizer state");
                if (v.numel() != 1 || v.dtype != ScalarType.Float64)
                    throw new OptimizerStateException($"Optimizer state entry '{key}' must be a one-element float64 tensor, got {ShapeText.Format(v.shape)} {v.dtype}.");
                return v.item<double>();
            },
            StringComparer.Ordinal);
        var inner = template.Inner.Select((s, i) => FromParams(flat, s, prefix + i + "/")).ToImmutableList();
        return new OptState(countTensor.item<long>(), slots, inner) { Numbers = numbers, InnerNames = template.InnerNames };
    }
}
