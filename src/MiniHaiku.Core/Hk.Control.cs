using System.Collections.Immutable;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku;

/// <summary>What <see cref="Hk.Scan{TCarry, TIn, TOut}"/> produces: the final carry and every step's output.</summary>
/// <typeparam name="TCarry">The carry type.</typeparam>
/// <typeparam name="TOut">The per-step output type.</typeparam>
/// <param name="Carry">The carry after the last step.</param>
/// <param name="Outputs">One output per step, in order.</param>
public sealed record ScanResult<TCarry, TOut>(TCarry Carry, ImmutableList<TOut> Outputs);

public static partial class Hk
{
    /// <summary>
    /// Runs <paramref name="whenTrue"/> or <paramref name="whenFalse"/>. During <c>Init</c> both run, so
    /// both branches' parameters exist (the result is the chosen one); during <c>Apply</c> only the chosen
    /// one runs. Modules created inside a branch live under <c>{scope}/Cond_n/when_true</c> (or
    /// <c>when_false</c>), so their names do not depend on which branch ran.
    /// </summary>
    /// <example><code>Hk.Cond(isTraining, f(x), Hk.Pure(x))   // Init runs both branches, so f creates its parameters either way</code></example>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="predicate">Which branch to take.</param>
    /// <param name="whenTrue">The branch taken when <paramref name="predicate"/> is true.</param>
    /// <param name="whenFalse">The branch taken otherwise.</param>
    /// <returns>The conditional model.</returns>
    public static Model<T> Cond<T>(bool predicate, Model<T> whenTrue, Model<T> whenFalse)
    {
        ArgumentNullException.ThrowIfNull(whenTrue);
        ArgumentNullException.ThrowIfNull(whenFalse);
        return Branch("Cond", predicate ? 0 : 1, [whenTrue, whenFalse], CondBranchNames);
    }

    /// <summary>Like <see cref="Cond{T}(bool, Model{T}, Model{T})"/> with a one-element tensor predicate.</summary>
    /// <example><code>Hk.Cond(x.sum().gt(0), f(x), Hk.Pure(x))   // a one-element Bool tensor picks the branch</code></example>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="predicate">A tensor with one element; non-zero means true.</param>
    /// <param name="whenTrue">The branch taken when the predicate is true.</param>
    /// <param name="whenFalse">The branch taken otherwise.</param>
    /// <returns>The conditional model.</returns>
    public static Model<T> Cond<T>(Tensor predicate, Model<T> whenTrue, Model<T> whenFalse)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        TensorChecks.RequireAlive(predicate, "the predicate of Hk.Cond");
        if (predicate.numel() != 1)
            throw new ModelUsageException($"Hk.Cond needs a predicate with exactly one element, got shape {ShapeText.Format(predicate.shape)}.");
        using var b = predicate.to_type(ScalarType.Bool);
        return Cond(b.item<bool>(), whenTrue, whenFalse);
    }

    /// <summary>
    /// Runs <c>branches[index]</c>. During <c>Init</c> every branch runs, so all their parameters exist;
    /// during <c>Apply</c> only the chosen one. Branch i's modules live under <c>{scope}/Switch_n/case_i</c>.
    /// </summary>
    /// <example><code>Hk.Switch((int)(step % 2), [f(x), Hk.Pure(x)])   // every branch is initialised; one runs</code></example>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="index">Which branch, from 0.</param>
    /// <param name="branches">The branches.</param>
    /// <returns>The model.</returns>
    /// <exception cref="ModelUsageException"><paramref name="index"/> is out of range.</exception>
    public static Model<T> Switch<T>(int index, IReadOnlyList<Model<T>> branches)
    {
        ArgumentNullException.ThrowIfNull(branches);
        if (branches.Count == 0) throw new ModelUsageException("Hk.Switch needs at least one branch.");
        if (index < 0 || index >= branches.Count)
            throw new ModelUsageException($"Hk.Switch index {index} is out of range: there are {branches.Count} branches (0..{branches.Count - 1}).");
        var names = Enumerable.Range(0, branches.Count).Select(i => "case_" + i).ToArray();
        return Branch("Switch", index, branches.ToArray(), names);
    }

    private static readonly string[] CondBranchNames = ["when_true", "when_false"];

    private static Model<T> Branch<T>(string kind, int index, Model<T>[] branches, string[] names)
    {
        return from path in Naming.ReservePath(kind, null)
               from init in RunningInit()
               from value in init ? Taken(path).SelectMany(v => Others(path, 0, v)) : Chosen(path)
               select value;

        Model<T> Taken(string path) => Scoping.InScope(path + "/" + names[index], branches[index]);

        // Apply: only the taken branch runs; the others' parameters are legitimately unread.
        Model<T> Chosen(string path) => branches.Length == 1 ? Taken(path) : Taken(path).SelectMany(v =>
            ModelOps.ModifyFrame(f => f with { Extras = f.Extras with { SkippedScopes = f.Extras.SkippedScopes.Union(Untaken(path)) } }).Select(_ => v));

        IEnumerable<string> Untaken(string path) => names.Where((_, j) => j != index).Select(n => path + "/" + n);

        // Init: the taken branch runs first, exactly as in Apply; then every other branch runs only to create
        // its parameters (and the initial value of state only it uses): its state updates and key draws are
        // undone, so the state and the keys come from the taken branch alone.
        Model<T> Others(string path, int j, T chosen) => j == branches.Length
            ? Pure(chosen)
            : j == index ? Others(path, j + 1, chosen)
            : ForCreationOnly(Scoping.InScope(path + "/" + names[j], branches[j])).SelectMany(_ => Others(path, j + 1, chosen));
    }

    /// <summary>
    /// Runs <paramref name="body"/> for what it creates and names, not for what it computes: afterwards the
    /// state and the key sequence are as before, except that state first created by the body keeps its
    /// initial value (so a later <c>Apply</c> that runs the body finds it). Parameters, parameter reads and
    /// the scope's reserved names are kept.
    /// </summary>
    internal static Model<T> ForCreationOnly<T>(Model<T> body) =>
        // A body that draws keys must not fail for lack of one in an Apply given none: its draws are discarded.
        ModelOps.Around(f => f with { Rng = f.Rng ?? RngKey.FromSeed(0) }, body, (f, before) =>
        {
            var initial = before.InitialState;
            var state = before.State;
            foreach (var (path, value) in f.InitialState)
            {
                if (initial.ContainsKey(path)) continue;
                initial = initial.With(path, value);
                if (!state.ContainsKey(path)) state = state.With(path, value);
            }
            return f with { State = state, InitialState = initial, Rng = before.Rng };
        });

    /// <summary>Runs <paramref name="body"/> with the current scope's names and counters reset to <paramref name="start"/>'s.</summary>
    internal static Model<T> WithNamesOf<T>(NameTable start, Model<T> body) =>
        ModelOps.ModifyFrame(f => f.WithScope(f.CurrentScope with { Names = start })).Then(body);

    /// <summary>
    /// Runs <paramref name="step"/> over <paramref name="xs"/>, threading a carry and collecting each
    /// step's output (Haiku's <c>hk.scan</c>). Every step sees the same module names (the counters are
    /// reset per step), so modules created in the body share one set of parameters across steps.
    /// Stack-safe for any number of steps. Over an empty sequence the body cannot run (there is no element
    /// to give it), so <c>Init</c> creates none of its parameters: scan a tensor with
    /// <see cref="Scan{TCarry, TOut}(Func{TCarry, Tensor, Model{ValueTuple{TCarry, TOut}}}, TCarry, Tensor)"/>, which runs the body once on a zero slice.
    /// </summary>
    /// <example><code>
    /// from r in Hk.Scan((Tensor h, Tensor xt) => f(h + xt).Select(o => (o, o)), init: zeros(batch, width), xs: xs.unbind(0))
    /// select stack(r.Outputs)   // one shared set of parameters for every step
    /// </code></example>
    /// <typeparam name="TCarry">The carry type.</typeparam>
    /// <typeparam name="TIn">The element type.</typeparam>
    /// <typeparam name="TOut">The per-step output type.</typeparam>
    /// <param name="step">Maps (carry, x) to (new carry, output).</param>
    /// <param name="init">The initial carry.</param>
    /// <param name="xs">The sequence to scan.</param>
    /// <returns>The final carry and the outputs.</returns>
    public static Model<ScanResult<TCarry, TOut>> Scan<TCarry, TIn, TOut>(
        Func<TCarry, TIn, Model<(TCarry Carry, TOut Output)>> step, TCarry init, IEnumerable<TIn> xs)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(xs);
        return Fold(xs, (Carry: init, Outputs: ImmutableList<TOut>.Empty),
                (acc, x) => step(acc.Carry, x).Select(r => (r.Carry, acc.Outputs.Add(r.Output))))
            .Select(a => new ScanResult<TCarry, TOut>(a.Carry, a.Outputs));
    }

    /// <summary>
    /// Applies <paramref name="step"/> <paramref name="count"/> times to a carry. The body's modules get
    /// the same names at every step, so they share parameters. Stack-safe for millions of steps. With a count
    /// of 0 the body still runs once, for its parameters, state and names only (its result, state updates and
    /// key draws are discarded), so <c>Init</c> creates its parameters and names after the loop never depend
    /// on the count.
    /// </summary>
    /// <example><code>Hk.Repeat(3, (i, h) => f(h), init: x)   // f's modules share their parameters across the 3 steps</code></example>
    /// <typeparam name="TCarry">The carry type.</typeparam>
    /// <param name="count">How many steps (0 returns <paramref name="init"/>).</param>
    /// <param name="step">Maps (step index, carry) to the next carry.</param>
    /// <param name="init">The initial carry.</param>
    /// <returns>The final carry.</returns>
    public static Model<TCarry> Repeat<TCarry>(int count, Func<int, TCarry, Model<TCarry>> step, TCarry init)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (count < 0) throw new ModelUsageException($"Hk.Repeat needs a non-negative count, got {count}.");
        return Loop(count, step, init, resetNames: true, namesOnly: count == 0 ? () => step(0, init) : null);
    }

    /// <summary>
    /// Folds <paramref name="items"/> into an accumulator with a model per item. The body's modules get
    /// the same names at every step, so they share parameters. Stack-safe for millions of items.
    /// </summary>
    /// <example><code>
    /// Hk.Fold(new[] { 256, 128, 10 }, x, (h, size) =>
    ///     from layer in Linear.Create(size)
    ///     from o in layer.Call(h)
    ///     select o)   // three Linear modules: Linear_0, Linear_1, Linear_2
    /// </code></example>
    /// <typeparam name="TItem">The item type.</typeparam>
    /// <typeparam name="TAcc">The accumulator type.</typeparam>
    /// <param name="items">The items, enumerated once per run.</param>
    /// <param name="seed">The initial accumulator.</param>
    /// <param name="step">Maps (accumulator, item) to the next accumulator.</param>
    /// <returns>The final accumulator.</returns>
    public static Model<TAcc> Fold<TItem, TAcc>(IEnumerable<TItem> items, TAcc seed, Func<TAcc, TItem, Model<TAcc>> step)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(step);
        return FoldCore(items, seed, step, resetNames: true);
    }

    /// <summary>
    /// Like LINQ's <c>Aggregate</c>: threads an accumulator through one model per item, where every step
    /// is a distinct part of the model — modules created in step i get fresh names (<c>Linear_0</c>,
    /// <c>Linear_1</c>, …), unlike <see cref="Fold{TItem, TAcc}"/>, whose steps share names and parameters.
    /// Use it to build layer stacks. Stack-safe.
    /// </summary>
    /// <example><code>Hk.Aggregate(new[] { 64, 64 }, x, (h, size) => from l in Linear.Create(size) from o in l.Call(h) select Activations.Relu(o))</code></example>
    /// <typeparam name="TItem">The item type.</typeparam>
    /// <typeparam name="TAcc">The accumulator type.</typeparam>
    /// <param name="items">The items, enumerated once per run.</param>
    /// <param name="seed">The initial accumulator.</param>
    /// <param name="step">Maps (accumulator, item) to the next accumulator.</param>
    /// <returns>The final accumulator.</returns>
    public static Model<TAcc> Aggregate<TItem, TAcc>(IEnumerable<TItem> items, TAcc seed, Func<TAcc, TItem, Model<TAcc>> step)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(step);
        return FoldCore(items, seed, step, resetNames: false);
    }

    /// <summary>Runs models one after another and collects their values. Module names accumulate as usual.</summary>
    /// <example><code>
    /// from outs in Hk.Sequence(new[] { f(x), f(y) })   // in order, as one model
    /// select outs[0] + outs[1]
    /// </code></example>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="models">The models, in order.</param>
    /// <returns>A model producing every value, in order.</returns>
    public static Model<ImmutableList<T>> Sequence<T>(IEnumerable<Model<T>> models)
    {
        ArgumentNullException.ThrowIfNull(models);
        return SequenceCore(models);
    }

    private static Model<TAcc> FoldCore<TItem, TAcc>(IEnumerable<TItem> items, TAcc seed, Func<TAcc, TItem, Model<TAcc>> step, bool resetNames) =>
        ModelOps.Defer(() =>
        {
            var list = items as IReadOnlyList<TItem> ?? items.ToArray();
            return Loop(list.Count, (i, acc) => step(acc, list[i]), seed, resetNames);
        });

    // namesOnly: for a loop that runs no step, a body to run once for its parameters, state and names only
    // (ForCreationOnly), so that names after the loop never depend on how many steps ran.
    private static Model<TAcc> Loop<TAcc>(int count, Func<int, TAcc, Model<TAcc>> step, TAcc seed, bool resetNames, Func<Model<TAcc>>? namesOnly = null) =>
        ModelOps.FromFrame(f =>
        {
            var start = f.CurrentScope.Names;
            Model<TAcc> Reset(Model<TAcc> stepBody) => resetNames ? WithNamesOf(start, stepBody) : stepBody;
            Model<TAcc> Next(int i, TAcc acc) => i >= count ? Pure(acc) : Reset(step(i, acc)).SelectMany(v => Next(i + 1, v));
            if (count == 0 && namesOnly is not null) return ForCreationOnly(Reset(namesOnly())).Select(_ => seed);
            return Next(0, seed);
        });

    /// <summary>
    /// Runs an independently defined transformed model inside this one (Haiku's <c>lift</c>). Its
    /// parameters appear under <c>{current scope}/{name}/…</c>: an inner key <c>~/X</c> becomes
    /// <c>{current scope}/{name}/X</c>. They are created during the outer <c>Init</c> and read during
    /// the outer <c>Apply</c>.
    /// </summary>
    /// <example><code>
    /// var encoder = Hk.Transform((Tensor x) => f(x));   // defined and testable on its own
    /// var outer = Hk.Transform((Tensor x) =>
    ///     from h in Hk.Lift(encoder, "encoder")(x)      // its parameters appear under ~/encoder/…
    ///     select h);
    /// </code></example>
    /// <typeparam name="TIn">The inner input type.</typeparam>
    /// <typeparam name="TOut">The inner output type.</typeparam>
    /// <param name="inner">The transformed model to embed.</param>
    /// <param name="name">The scope name for it (a valid module name, unique in its scope invocation).</param>
    /// <returns>A function from input to the lifted model.</returns>
    public static Func<TIn, Model<TOut>> Lift<TIn, TOut>(Transformed<TIn, TOut> inner, string name)
    {
        ArgumentNullException.ThrowIfNull(inner);
        return LiftCore(inner.Function, name, stateless: true);
    }

    /// <summary>Like <see cref="Lift{TIn, TOut}(Transformed{TIn, TOut}, string)"/> for a stateful model; its state is lifted too.</summary>
    /// <typeparam name="TIn">The inner input type.</typeparam>
    /// <typeparam name="TOut">The inner output type.</typeparam>
    /// <param name="inner">The transformed model to embed.</param>
    /// <param name="name">The scope name for it.</param>
    /// <returns>A function from input to the lifted model.</returns>
    public static Func<TIn, Model<TOut>> Lift<TIn, TOut>(TransformedWithState<TIn, TOut> inner, string name)
    {
        ArgumentNullException.ThrowIfNull(inner);
        return LiftCore(inner.Function, name);
    }

    private static Func<TIn, Model<TOut>> LiftCore<TIn, TOut>(Func<TIn, Model<TOut>> f, string name, bool stateless = false)
    {
        ArgumentNullException.ThrowIfNull(name);
        return input =>
            from path in Naming.ReservePath("Lift", name)
            from value in Scoping.WithExtras(
                x => x with { StatelessLift = stateless ? path : null },
                (now, old) => now with { StatelessLift = old.StatelessLift },
                Scoping.InScope(path, f(input)))
            select value;
    }
}
