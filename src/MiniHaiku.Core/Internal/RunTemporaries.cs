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
/// the caller's dispose scope (or to none). The output is searched through tensors, <see cref="Params"/>, tuples,
/// arrays and lists, and primitive values; if it holds anything else (a record, a closure…) nothing is disposed, so no
/// tensor a result might reach is ever freed. A tensor made inside the run and kept by a side effect (a closure or an
/// interceptor storing it) is freed; return it, or call <c>DetachFromDisposeScope()</c> on it, to keep it. When a
/// result is on an autograd graph (it requires grad: a training step's loss or logits) nothing is disposed either: a
/// later backward pass may need tensors of the run that only managed code holds (<see cref="Hk.Remat(Func{Tensor, Model{Tensor}})"/>'s replay, a
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
            if (d is Tensor { requires_grad: true })
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
        switch (value)
        {
            case ITuple tuple:
                for (var i = 0; i < tuple.Length; i++)
                    if (!TryCollect(tuple[i], into, depth + 1)) return false;
                return true;
            case IList list: // arrays and List<T>: materialised, so reading them runs no user code
                foreach (var item in list)
                    if (!TryCollect(item, into, depth + 1)) return false;
                return true;
            default:
                return false;
        }
    }
}
