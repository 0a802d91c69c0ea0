using MiniHaiku.Layers;
using MiniHaiku.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.FashionMnistExample;

/// <summary>
/// One optimizer step: loss and gradients (<see cref="Grad.ValueAndGradWithAux{TAux}"/>), Adam update,
/// new parameters and state. Everything the step creates is disposed except the new parameters,
/// model state and optimizer state, and the previous ones are disposed, so memory stays flat.
/// </summary>
/// <param name="Model">The transformed model.</param>
/// <param name="Optimizer">The optimizer.</param>
public sealed record TrainStep(TransformedWithState<ModelInput, Tensor> Model, GradientTransformation Optimizer)
{
    /// <summary>Runs one step, replacing <paramref name="parameters"/>, <paramref name="state"/> and <paramref name="optState"/>.</summary>
    /// <param name="parameters">The parameters (replaced by the updated ones; the old tensors are disposed).</param>
    /// <param name="state">The model state (replaced).</param>
    /// <param name="optState">The optimizer state (replaced).</param>
    /// <param name="images">The batch's images.</param>
    /// <param name="labels">The batch's labels.</param>
    /// <param name="key">The key for dropout.</param>
    /// <returns>The batch loss and the number of correctly classified examples.</returns>
    public (double Loss, long Correct) Run(ref Params parameters, ref Params state, ref OptState optState, Tensor images, Tensor labels, RngKey key)
    {
        Params newParams, newState;
        OptState newOptState;
        double loss;
        long correct;
        var oldState = state;
        using (var scope = torch.NewDisposeScope())
        {
            var valueAndGrad = Grad.ValueAndGradWithAux<(Tensor Logits, Params State)>(p =>
            {
                var (logits, next) = Model.Apply(p, oldState, new ModelInput(images, IsTraining: true), key);
                return (Losses.SoftmaxCrossEntropy(logits, labels), (logits, next));
            });
            var (value, aux, grads) = valueAndGrad(parameters);
            (var updates, newOptState) = Optimizer.Update(grads, optState, parameters);
            newParams = parameters.ApplyUpdates(updates);
            newState = aux.State.Map(t => t.detach());
            loss = value.item<float>();
            correct = aux.Logits.argmax(1).eq(labels).sum().item<long>();
            foreach (var t in newParams.Values) t.MoveToOuterDisposeScope();
            foreach (var t in newState.Values) t.MoveToOuterDisposeScope();
            foreach (var t in newOptState.Tensors()) t.MoveToOuterDisposeScope();
        }
        var keep = new HashSet<IntPtr>(newParams.Values.Concat(newState.Values).Concat(newOptState.Tensors()).Select(t => t.Handle));
        foreach (var t in parameters.Values.Concat(state.Values).Concat(optState.Tensors()))
            if (!keep.Contains(t.Handle)) t.Dispose();
        parameters = newParams;
        state = newState;
        optState = newOptState;
        return (loss, correct);
    }
}
