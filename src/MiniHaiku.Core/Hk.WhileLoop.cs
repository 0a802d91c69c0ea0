using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku;

public static partial class Hk
{
    /// <summary>
    /// Applies <paramref name="body"/> to a carry while <paramref name="condition"/> holds (Haiku's
    /// <c>while_loop</c>): the number of steps may depend on the data. The body's modules get the same names
    /// at every step, so they share parameters. If the condition is false at once, the body still runs once
    /// for its parameters, state and names only (its result is discarded), so <c>Init</c> creates its
    /// parameters and names after the loop never depend on how many steps ran. Stack-safe.
    /// </summary>
    /// <example><code>Hk.WhileLoop(h => h.abs().max().item&lt;float>() > 1, h => f(h), init: x, maxSteps: 10)</code></example>
    /// <typeparam name="TCarry">The carry type.</typeparam>
    /// <param name="condition">Whether to run another step (e.g. <c>c =&gt; c.Norm().item&lt;float&gt;() &gt; 1</c>).</param>
    /// <param name="body">Maps the carry to the next carry.</param>
    /// <param name="init">The initial carry.</param>
    /// <param name="maxSteps">A safety bound: more steps than this is a <see cref="ModelUsageException"/>.</param>
    /// <returns>The final carry.</returns>
    public static Model<TCarry> WhileLoop<TCarry>(Func<TCarry, bool> condition, Func<TCarry, Model<TCarry>> body, TCarry init, long maxSteps = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(body);
        if (maxSteps < 0) throw new ModelUsageException($"Hk.WhileLoop needs a non-negative maxSteps, got {maxSteps}.");
        return ModelOps.FromFrame(f =>
        {
            var start = f.CurrentScope.Names;
            Model<TCarry> Next(long i, TCarry carry)
            {
                if (!condition(carry)) return Pure(carry);
                if (i >= maxSteps) throw new ModelUsageException($"Hk.WhileLoop ran {maxSteps} steps and its condition still holds (maxSteps = {maxSteps}).");
                return WithNamesOf(start, body(carry)).SelectMany(v => Next(i + 1, v));
            }
            if (!condition(init))
                return ForCreationOnly(WithNamesOf(start, body(init))).Select(_ => init);
            return Next(0, init);
        });
    }

    /// <summary>
    /// Like <see cref="Scan{TCarry, TIn, TOut}(Func{TCarry, TIn, Model{ValueTuple{TCarry, TOut}}}, TCarry, IEnumerable{TIn})"/>
    /// over the slices of <paramref name="xs"/> along its first axis. When that axis is empty the body still
    /// runs once, on zeros of one slice's shape, for its parameters, state and names only (Haiku runs the
    /// body at <c>Init</c> even for an empty scan): <c>Init</c> on an empty sequence creates the parameters a
    /// later <c>Apply</c> on a non-empty one needs.
    /// </summary>
    /// <example><code>
    /// from r in Hk.Scan((Tensor h, Tensor xt) => f(h + xt).Select(o => (o, o)), zeros(batch, width), xs)   // over xs's first axis
    /// select r.Carry
    /// </code></example>
    /// <typeparam name="TCarry">The carry type.</typeparam>
    /// <typeparam name="TOut">The per-step output type.</typeparam>
    /// <param name="step">Maps (carry, slice) to (new carry, output).</param>
    /// <param name="init">The initial carry.</param>
    /// <param name="xs">A tensor of at least one axis; slice t is <c>xs[t]</c>.</param>
    /// <returns>The final carry and the outputs.</returns>
    public static Model<ScanResult<TCarry, TOut>> Scan<TCarry, TOut>(Func<TCarry, Tensor, Model<(TCarry Carry, TOut Output)>> step, TCarry init, Tensor xs)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(xs);
        if (xs.dim() < 1) throw new ModelUsageException($"Hk.Scan over a tensor needs at least one axis to scan, got shape {ShapeText.Format(xs.shape)}.");
        if (xs.shape[0] > 0) return Scan(step, init, xs.unbind(0));
        var slice = xs.shape[1..];
        return ModelOps.FromFrame(f =>
        {
            var zero = torch.zeros(slice, dtype: xs.dtype, device: xs.device);
            return ForCreationOnly(WithNamesOf(f.CurrentScope.Names, ModelOps.Defer(() => step(init, zero))))
                .Select(_ => new ScanResult<TCarry, TOut>(init, []));
        });
    }
}
