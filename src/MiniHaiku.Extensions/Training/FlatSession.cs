using MiniHaiku.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Training;

/// <summary>
/// What a Fit run keeps from one flat step to the next: autograd leaves that are views of the parameters' flat buffer
/// (rebuilt only when the parameters' map changes, i.e. not while Fit donates it to each step) and one flat gradient
/// buffer whose views are the leaves' <c>grad</c>, so backward accumulates every gradient in place into it. A step then
/// creates no per-tensor leaf, view or gradient. Owned and disposed by the Fit call.
/// </summary>
internal sealed class FlatSession : IDisposable
{
    private Params? source;
    private FlatLayout? layout;
    private Leaves? leaves;

    /// <summary>The leaves for <paramref name="parameters"/> (flat-backed with <paramref name="layout"/>), reused when they are the previous step's.</summary>
    public Leaves LeavesFor(FlatLayout layout, Params parameters)
    {
        if (leaves is not null && ReferenceEquals(parameters, source) && ReferenceEquals(layout, this.layout) && leaves.Alive) return leaves;
        var gradients = leaves is not null && this.layout is not null && this.layout.SameAs(layout) ? leaves.TakeGradients() : null;
        leaves?.Dispose();
        leaves = null;
        using (torch.NewDisposeScope())
        {
            gradients ??= torch.zeros(layout.Total, layout.DType, layout.Device);
            gradients.DetachFromDisposeScope();
            var views = layout.UnregisteredViews(gradients);
            var tensors = new Tensor[layout.Paths.Length];
            var pairs = new KeyValuePair<string, Tensor>[tensors.Length];
            for (var i = 0; i < tensors.Length; i++)
            {
                var leaf = parameters[layout.Paths[i]].detach().requires_grad_(true);
                leaf.grad = views[layout.Paths[i]];
                tensors[i] = leaf;
                pairs[i] = new(layout.Paths[i], leaf);
            }
            foreach (var t in tensors) t.DetachFromDisposeScope();
            foreach (var t in views.Values) t.DetachFromDisposeScope();
            leaves = new Leaves(Params.Create(pairs), tensors, views, gradients);
        }
        (source, this.layout) = (parameters, layout);
        return leaves;
    }

    public void Dispose()
    {
        leaves?.Dispose();
        leaves = null;
        source = null;
    }

    /// <summary>The leaves (as a map for the loss and as an array for backward), their gradients' views and the flat gradient.</summary>
    internal sealed class Leaves(Params map, Tensor[] tensors, Params gradientViews, Tensor gradients) : IDisposable
    {
        private Tensor? gradients = gradients;

        public Params Map { get; } = map;
        public Tensor[] Tensors { get; } = tensors;
        public Tensor Gradients => gradients!;
        public bool Alive => gradients is not null && Tensors.All(t => !t.IsInvalid);

        /// <summary>The flat gradient buffer, handed to the next leaves (not disposed with these).</summary>
        public Tensor TakeGradients()
        {
            var g = gradients!;
            gradients = null;
            return g;
        }

        public void Dispose()
        {
            foreach (var t in Tensors) t.Dispose();
            foreach (var t in gradientViews.Values) t.Dispose();
            gradients?.Dispose();
            gradients = null;
        }
    }
}
