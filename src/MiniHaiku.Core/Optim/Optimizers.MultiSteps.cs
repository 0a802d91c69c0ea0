using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

/// <summary>
/// Decides whether <see cref="Optimizers.MultiSteps(GradientTransformation, int, bool, SkipUpdatePredicate?)"/>
/// ignores a mini-step's gradients (Optax's <c>should_skip_update_fn</c>), e.g.
/// <see cref="Optimizers.SkipNotFinite"/> or <see cref="Optimizers.SkipLargeUpdates"/>.
/// </summary>
/// <param name="updates">The incoming gradients of this mini-step.</param>
/// <param name="gradientStep">How many inner updates have been made so far.</param>
/// <param name="parameters">The parameters, when given to <c>Update</c>.</param>
/// <returns>True to skip: the mini-step then leaves the state unchanged and returns zero updates.</returns>
public delegate bool SkipUpdatePredicate(Params updates, long gradientStep, Params? parameters);

public static partial class Optimizers
{
    /// <summary>
    /// Gradient accumulation (<c>optax.MultiSteps</c>): for <paramref name="everyKSchedule"/> mini-steps the
    /// gradients are accumulated and zero updates returned; on the k-th, <paramref name="opt"/> is applied to
    /// their mean (or sum) and its updates returned. With <c>useGradMean</c>, k mini-steps equal one step of
    /// <paramref name="opt"/> on the mean gradient. The state holds numbers <c>mini_step</c> and
    /// <c>gradient_step</c>, slot <c>acc_grads</c> (in the parameters' dtypes) and the inner state.
    /// </summary>
    /// <param name="opt">The optimizer applied every k mini-steps.</param>
    /// <param name="everyKSchedule">k, the number of mini-steps per update; at least 1.</param>
    /// <param name="useGradMean">Average the accumulated gradients (else sum them).</param>
    /// <param name="shouldSkipUpdateFn">Decides to ignore a mini-step, or null to keep them all.</param>
    /// <returns>The transformation.</returns>
    /// <example><code>var opt = Optimizers.MultiSteps(Optimizers.Adam(1e-3), everyKSchedule: 4);</code></example>
    public static GradientTransformation MultiSteps(GradientTransformation opt, int everyKSchedule, bool useGradMean = true, SkipUpdatePredicate? shouldSkipUpdateFn = null)
    {
        if (everyKSchedule < 1) throw new OptimizerConfigurationException("MultiSteps", $"everyKSchedule: must be at least 1. (got {everyKSchedule})");
        return MultiSteps(opt, _ => everyKSchedule, useGradMean, shouldSkipUpdateFn);
    }

    /// <summary>
    /// <see cref="MultiSteps(GradientTransformation, int, bool, SkipUpdatePredicate?)"/> with k a function of
    /// the number of inner updates made so far (<c>gradient_step</c>).
    /// </summary>
    /// <param name="opt">The optimizer applied every k mini-steps.</param>
    /// <param name="everyKSchedule">Maps <c>gradient_step</c> to k (at least 1).</param>
    /// <param name="useGradMean">Average the accumulated gradients (else sum them).</param>
    /// <param name="shouldSkipUpdateFn">Decides to ignore a mini-step, or null to keep them all.</param>
    /// <returns>The transformation.</returns>
    public static GradientTransformation MultiSteps(GradientTransformation opt, Func<long, int> everyKSchedule, bool useGradMean = true, SkipUpdatePredicate? shouldSkipUpdateFn = null)
    {
        ArgumentNullException.ThrowIfNull(opt);
        ArgumentNullException.ThrowIfNull(everyKSchedule);
        return GradientTransformation.WithExtraArgs(
            p => OptState.Of([opt.InitFunction(p)]) with { Slots = OptState.WithSlots(("acc_grads", p.ZerosLike())).Slots }
                with { Numbers = OptState.Empty.Numbers.Add("gradient_step", 0).Add("mini_step", 0) },
            (grads, s, p, extra) =>
            {
                RequireInner(s, 1, nameof(MultiSteps));
                var miniStep = (long)s.Number("mini_step");
                var gradientStep = (long)s.Number("gradient_step");
                var k = everyKSchedule(gradientStep);
                if (k < 1) throw new OptimizerConfigurationException("MultiSteps", $"everyKSchedule({gradientStep}) returned {k}; it must be at least 1.");
                if (shouldSkipUpdateFn is not null && shouldSkipUpdateFn(grads, gradientStep, p)) return (grads.ZerosLike(), s);
                var n = miniStep;
                var acc = MapWithSlots(grads, s.Slot("acc_grads"), "acc_grads", (g, a) =>
                {
                    using var gIn = g.to_type(a.dtype);
                    return useGradMean ? a.PlusScaled(gIn.Minus(a), 1.0 / (n + 1)) : a.Plus(gIn);
                });
                if (miniStep != k - 1)
                    return (grads.ZerosLike(), s with { Slots = s.Slots.SetItem("acc_grads", acc), Numbers = s.Numbers.SetItem("mini_step", miniStep + 1) });
                var mean = acc.Map((path, a) => a.to_type(grads[path].dtype));
                var (updates, inner) = opt.UpdateWithExtraArgs(mean, s.Inner[0], p, extra);
                return (updates, s with
                {
                    Inner = [inner],
                    Slots = s.Slots.SetItem("acc_grads", acc.ZerosLike()),
                    Numbers = s.Numbers.SetItem("mini_step", 0).SetItem("gradient_step", gradientStep + 1),
                });
            });
    }

    /// <summary>Whether the last mini-step of a <see cref="MultiSteps(GradientTransformation, int, bool, SkipUpdatePredicate?)"/> state made an inner update (<c>MultiSteps.has_updated</c>).</summary>
    /// <example><code>
    /// var (updates, newState) = optimizer.Update(grads, optState, p);
    /// bool applied = Optimizers.MultiStepsHasUpdated(newState);   // true on every k-th step
    /// </code></example>
    /// <param name="state">A MultiSteps state.</param>
    /// <returns>True right after the k-th mini-step.</returns>
    public static bool MultiStepsHasUpdated(OptState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Number("mini_step") == 0 && state.Number("gradient_step") > 0;
    }

    /// <summary>A <see cref="SkipUpdatePredicate"/> that skips mini-steps with a NaN or infinite gradient (<c>optax.skip_not_finite</c>).</summary>
    /// <example><code>var opt = Optimizers.MultiSteps(Optimizers.Adam(1e-3), 4, shouldSkipUpdateFn: Optimizers.SkipNotFinite);</code></example>
    /// <param name="updates">The gradients.</param>
    /// <param name="gradientStep">Unused.</param>
    /// <param name="parameters">Unused.</param>
    /// <returns>True when some element is not finite.</returns>
    public static bool SkipNotFinite(Params updates, long gradientStep, Params? parameters)
    {
        ArgumentNullException.ThrowIfNull(updates);
        return !AllFinite(updates);
    }

    /// <summary>A <see cref="SkipUpdatePredicate"/> that skips mini-steps whose squared global norm is not below <paramref name="maxSquaredNorm"/> (<c>optax.skip_large_updates</c>).</summary>
    /// <example><code>var opt = Optimizers.MultiSteps(Optimizers.Adam(1e-3), 4, shouldSkipUpdateFn: Optimizers.SkipLargeUpdates(maxSquaredNorm: 100));</code></example>
    /// <param name="maxSquaredNorm">The squared global norm from which a mini-step is skipped.</param>
    /// <returns>The predicate (it also skips non-finite gradients, whose norm is not below any bound).</returns>
    public static SkipUpdatePredicate SkipLargeUpdates(double maxSquaredNorm) => (updates, _, _) =>
    {
        using var norm = updates.GlobalNorm();
        var n = norm.item<double>();
        return !(n * n < maxSquaredNorm);
    };

    /// <summary>Whether every element of every tensor is finite, with one host synchronisation.</summary>
    internal static bool AllFinite(Params tree)
    {
        if (tree.Count == 0) return true;
        using var scope = torch.NewDisposeScope();
        var flags = torch.stack(tree.Values.Select(t => t.isfinite().all()).ToList());
        return flags.all().item<bool>();
    }

    internal static void RequireInner(OptState s, int count, string who)
    {
        if (s.Inner.Count != count)
            throw new OptimizerStateException($"{who} got a state with {s.Inner.Count} inner states instead of {count}: the state was made by a different optimizer.");
    }
}
