using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku;

public static partial class Hk
{
    /// <summary>
    /// Gradient checkpointing (Haiku's <c>remat</c>): during <c>Apply</c> under autograd, <paramref name="f"/>
    /// runs without recording its intermediate activations, and runs again in the backward pass to compute
    /// its gradients. Peak memory drops from every activation inside <paramref name="f"/> to its input and
    /// output; compute grows by one forward of <paramref name="f"/>. The recomputation starts from the same
    /// frame, so it draws the same random keys and reproduces dropout masks exactly: gradients equal those
    /// without remat. During <c>Init</c>, or with gradients off, <paramref name="f"/> runs as usual.
    /// </summary>
    /// <example><code>
    /// from h in Hk.Remat(f)(x)   // f's activations are recomputed in the backward pass instead of kept
    /// select h
    /// </code></example>
    /// <remarks>
    /// TorchSharp 0.107's custom autograd functions also keep an uninitialised <c>empty_like</c> of their
    /// output until the backward pass, so the address space held per checkpointed call is twice its output
    /// (those pages are never written, so resident memory grows by about one output).
    /// </remarks>
    /// <param name="f">A tensor-to-tensor part of the model (e.g. one block of a deep network).</param>
    /// <returns>The same function, checkpointed.</returns>
    public static Func<Tensor, Model<Tensor>> Remat(Func<Tensor, Model<Tensor>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return input =>
        {
            ArgumentNullException.ThrowIfNull(input);
            return ModelOps.FromFrame(frame =>
            {
                if (frame.IsInitializing || !torch.is_grad_enabled()) return f(input);
                return ModelOps.Lift(start =>
                {
                    var keys = start.Params.Where(kv => kv.Value.requires_grad).Select(kv => kv.Key).ToArray();
                    var call = new RematCall(f, start, input, keys);
                    var vars = new object[2 + keys.Length];
                    vars[0] = call;
                    vars[1] = input;
                    for (var i = 0; i < keys.Length; i++) vars[2 + i] = start.Params[keys[i]];
                    var output = RematFunction.apply(vars);
                    return (output, call.After!);
                });
            });
        };
    }

    /// <summary>One checkpointed call: what the forward pass needs to run again in the backward pass.</summary>
    internal sealed class RematCall(Func<Tensor, Model<Tensor>> f, Frame start, Tensor input, string[] keys)
    {
        public Frame? After;

        /// <summary>Runs f from the start frame with the given input and parameters; keeps the tensors the frame gained.</summary>
        public (Tensor Output, Frame After) Run(Tensor x, Tensor[]? parameters)
        {
            var frame = start;
            if (parameters is not null)
            {
                // The backward pass replays the call after the run ended (possibly on another thread): it records nothing.
                var p = start.Params;
                for (var i = 0; i < keys.Length; i++) p = p.With(keys[i], parameters[i]);
                frame = frame.ForReplay() with { Params = p };
            }
            return f(x).Run(frame);
        }

        public Tensor Input => input;

        public string[] Keys => keys;

        public Frame Start => start;
    }

    internal sealed class RematFunction : torch.autograd.SingleTensorFunction<RematFunction>
    {
        public override string Name => "MiniHaikuRemat";

        public override Tensor forward(torch.autograd.AutogradContext ctx, params object[] vars)
        {
            var call = (RematCall)vars[0];
            ctx.save_data("call", call);
            Tensor output;
            Frame after;
            using (var scope = torch.NewDisposeScope())
            {
                (output, after) = call.Run(call.Input, null);
                if (output is null) throw new ModelUsageException("The function given to Hk.Remat returned null instead of a tensor.");
                output.MoveToOuterDisposeScope();
                // State the function set (e.g. batch statistics) must outlive the scope.
                foreach (var (path, value) in after.State)
                    if (!call.Start.State.TryGetValue(path, out var old) || !ReferenceEquals(old, value)) value.MoveToOuterDisposeScope();
            }
            call.After = after;
            return output;
        }

        public override List<Tensor> backward(torch.autograd.AutogradContext ctx, Tensor gradOutput)
        {
            var call = (RematCall)ctx.get_data("call");
            var input = call.Input;
            var parameters = call.Keys.Select(k => call.Start.Params[k]).ToArray();
            // One entry per argument of apply, the RematCall included; null is "no gradient" (an unused
            // parameter, or an input that needs none), so no zero tensors are made.
            var result = new List<Tensor>(2 + parameters.Length) { null! };
            using (var scope = torch.NewDisposeScope())
            using (torch.enable_grad())
            {
                var x = input.detach().requires_grad_(input.is_floating_point() && input.requires_grad);
                var leaves = parameters.Select(p => p.detach().requires_grad_(true)).ToArray();
                var (output, _) = call.Run(x, leaves);
                var inputs = new List<Tensor>();
                if (x.requires_grad) inputs.Add(x);
                inputs.AddRange(leaves);
                if (inputs.Count == 0 || !output.requires_grad)
                {
                    for (var i = 0; i <= parameters.Length; i++) result.Add(null!);
                }
                else
                {
                    var raw = torch.autograd.grad([output], inputs, [gradOutput], allow_unused: true);
                    var offset = 0;
                    if (x.requires_grad)
                    {
                        result.Add(Keep(scope, raw[0]));
                        offset = 1;
                    }
                    else result.Add(null!);
                    for (var i = 0; i < leaves.Length; i++) result.Add(Keep(scope, raw[offset + i]));
                }
            }
            // TorchSharp wraps the incoming gradient in a new handle owned by whatever dispose scope is open
            // around backward(); nothing reads it after this call, so release it now rather than with that scope.
            gradOutput.Dispose();
            return result;
        }

        /// <summary>
        /// A gradient to hand back: detached from every dispose scope (libtorch copies it when this call
        /// returns; the caller's scope must not keep it alive until the whole backward pass ends), or null.
        /// </summary>
        private static Tensor Keep(DisposeScope scope, Tensor? g)
        {
            if (g is null || g.IsInvalid) return null!;
            scope.Detach(g);
            return g;
        }
    }
}
