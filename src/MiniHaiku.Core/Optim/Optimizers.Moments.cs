using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary><c>decay · moment + (1 - decay) · g</c> (Optax's <c>update_moment</c>, order 1), a new tensor.</summary>
    internal static Tensor Ema(Tensor moment, Tensor g, double decay) => moment.Times(decay).PlusScaledInPlace(g, 1 - decay);

    /// <summary><c>decay · moment + (1 - decay) · g²</c> (Optax's <c>update_moment_per_elem_norm</c>, order 2), a new tensor.</summary>
    internal static Tensor EmaSquare(Tensor moment, Tensor g, double decay) => moment.Times(decay).AddcmulInPlace(g, g, 1 - decay);

    /// <summary><c>1 - decay^count</c>, Optax's bias-correction divisor.</summary>
    internal static double BiasCorrection(double decay, long count) => 1 - Math.Pow(decay, count);

    /// <summary>
    /// Maps every gradient with its entries in the named slots to an update and new slot entries, and
    /// returns the updates and the state with the new slots (count and inner states untouched).
    /// </summary>
    internal static (Params Updates, OptState State) MapSlots(Params grads, OptState state, string[] slotNames,
        Func<string, Tensor, Tensor[], (Tensor Update, Tensor[] Slots)> f)
    {
        var slots = slotNames.Select(state.Slot).ToArray();
        var updates = new List<KeyValuePair<string, Tensor>>(grads.Count);
        var newSlots = slotNames.Select(_ => new List<KeyValuePair<string, Tensor>>(grads.Count)).ToArray();
        foreach (var (path, g) in grads)
        {
            var current = new Tensor[slotNames.Length];
            for (var i = 0; i < slotNames.Length; i++) current[i] = SlotEntry(slots[i], slotNames[i], path);
            var (u, next) = f(path, g, current);
            updates.Add(new(path, u));
            for (var i = 0; i < slotNames.Length; i++) newSlots[i].Add(new(path, next[i]));
        }
        var slotMap = state.Slots;
        for (var i = 0; i < slotNames.Length; i++) slotMap = slotMap.SetItem(slotNames[i], Params.Create(newSlots[i]));
        return (Params.Create(updates), state with { Slots = slotMap });
    }

    /// <summary>
    /// A path predicate from a map of one-element Bool tensors (Optax's mask as a tree of booleans):
    /// <c>true</c> selects the parameter. A path missing from <paramref name="mask"/> is a clear error when asked.
    /// </summary>
    /// <param name="mask">Path → one-element Bool tensor, with the parameters' keys.</param>
    /// <returns>The predicate, e.g. for <see cref="AdamW"/>'s <c>mask</c> or <see cref="Masked"/>.</returns>
    /// <exception cref="MiniHaikuException">A mask entry is not a one-element Bool tensor.</exception>
    /// <example><code>var decayOnlyWeights = Optimizers.AdamW(1e-3, mask: Optimizers.PathMask(p.Map(w =&gt; torch.tensor(w.dim() &gt; 1))));</code></example>
    public static Func<string, bool> PathMask(Params mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        var values = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var (path, t) in mask)
        {
            if (t.dtype != ScalarType.Bool || t.numel() != 1)
                throw new OptimizerConfigurationException("PathMask", $"mask entry '{path}' must be a one-element Bool tensor, got {ShapeText.Format(t.shape)} {t.dtype}.");
            values[path] = t.item<bool>();
        }
        return path => values.TryGetValue(path, out var v) ? v
            : throw new OptimizerConfigurationException("PathMask", $"the mask has no entry for parameter '{path}' (it has: {string.Join(", ", values.Keys)}).");
    }

    /// <summary><c>chain(first, add_decayed_weights(weightDecay, mask), scale_by_learning_rate)</c>: always three links, so the state's shape does not depend on the values.</summary>
    internal static GradientTransformation WithDecayAndLearningRate(GradientTransformation first, double weightDecay, Func<string, bool>? mask, Schedule learningRate)
    {
        return Chain(first, ScheduledDecayedWeights(_ => weightDecay, mask), ScaleByLearningRate(learningRate));
    }
}
