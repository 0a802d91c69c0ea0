using System.Collections;
using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Internal;

/// <summary>
/// The tensors a run of <c>Init</c>/<c>Apply</c> makes and does not hand back (intermediate activations, masks, the
/// forward output of <c>Init</c>): collected in a TorchSharp dispose scope opened around the run and disposed when it
/// returns, as JAX frees values a transformed function does not return. Left to the garbage collector instead, every
/// one of them is freed later by the finalizer thread, which costs a small model's <c>Apply</c> more than its kernels
/// (gen-1 promotions, native frees racing the caller's next allocations: <c>--profile tiny</c> in bench/).
/// </summary>
/// <remarks>
/// What the run returns is kept: every tensor found in the output and in the returned parameters and state moves to
/// the caller's dispose scope (or to none). The output is searched through tensors, <see cref="Params"/>, the framework's
/// tuples, arrays and <c>List&lt;T&gt;</c>, and primitive values; if it holds anything else (a record, a closure, a
/// subclass of a list or tuple…) nothing is disposed, so no tensor a result might reach is ever freed. A tensor made
/// inside the run and kept by a side effect (a closure or an interceptor storing it) is freed; return it, or call
/// <c>DetachFromDisposeScope()</c> on it, to keep it. When a returned tensor (of the output, the parameters or the
/// state) requires grad — a training step's loss or logits — nothing is disposed either: a later backward pass may need
/// tensors of the run that only managed code holds (<see cref="Hk.Remat(Func{Tensor, Model{Tensor}})"/>'s replay, a
/// custom autograd function); the caller's dispose scope (each step's, in the trainer) frees them after the step.
/// </remarks>
internal static class RunTemporaries
{
    /// <summary>Opens the scope collecting the run's tensors (dispose it in a <c>finally</c>).</summary>
    public static DisposeScope Open() => torch.NewDisposeScope();

    /// <summary>
    /// Keeps <paramref name="output"/>'s tensors and those of <paramref name="parameters"/>, <paramref name="state"/> and <paramref name="initialState"/>
    /// (moved to the outer scope); everything else still in <paramref name="scope"/> is disposed with it. Keeps all when
    /// the output holds something whose tensors cannot be found.
    /// </summary>
    public static void Keep(DisposeScope scope, object? output, Params? parameters, Params? state, Params? initialState = null)
    {
        if (scope.DisposablesCount == 0) return;
        var kept = new List<IDisposable>();
        if (!TryCollect(output, kept, 0))
        {
            scope.MoveToOuter(scope.DisposablesView);
            return;
        }
        if (parameters is not null) kept.AddRange(parameters.Values);
        if (state is not null) kept.AddRange(state.Values);
        if (initialState is not null) kept.AddRange(initialState.Values);
        // A result on an autograd graph may be differentiated after the run, and a backward pass can need tensors the
        // run made that only managed code holds (Hk.Remat's replay, a user's custom autograd function): keep them all.
        foreach (var d in kept)
        {
            if (d is Tensor { IsInvalid: false, requires_grad: true }) // a disposed tensor passed through is the caller's to find
            {
                scope.MoveToOuter(scope.DisposablesView);
                return;
            }
        }
        if (kept.Count > 0) scope.MoveToOuter(kept);
    }

    /// <summary>Adds every tensor of <paramref name="value"/> to <paramref name="into"/>; false if it may hold tensors out of sight.</summary>
    internal static bool TryCollect(object? value, List<IDisposable> into, int depth)
    {
        switch (value)
        {
            case null:
                return true;
            case Tensor t:
                into.Add(t);
                return true;
            case Params p:
                into.AddRange(p.Values);
                return true;
            case string or RngKey:
                return true;
        }
        var type = value.GetType();
        if (type.IsPrimitive || type.IsEnum || value is decimal) return true;
        if (depth >= 16) return false; // deep or cyclic: give up rather than guess
        // Only the framework's own tuples, arrays and List<T> are looked into: their contents are all there is to them and
        // reading them runs no user code. A subclass (a List<Tensor> with a field, a Tuple<Tensor> with a property) may
        // hold tensors elsewhere, so it counts as unknown, like any other type.
        if (value is ITuple tuple && IsFrameworkTuple(type))
        {
            for (var i = 0; i < tuple.Length; i++)
                if (!TryCollect(tuple[i], into, depth + 1)) return false;
            return true;
        }
        if (value is IList list && (type.IsArray || (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))))
        {
            foreach (var item in list)
                if (!TryCollect(item, into, depth + 1)) return false;
            return true;
        }
        return false;
    }

    private static bool IsFrameworkTuple(Type type) =>
        type.IsGenericType && type.Namespace == "System" && type.Assembly == typeof(ValueTuple).Assembly
        && (type.Name.StartsWith("ValueTuple`", StringComparison.Ordinal) || type.Name.StartsWith("Tuple`", StringComparison.Ordinal));
}
