namespace MiniHaiku.FSharp

open System
open MiniHaiku
open MiniHaiku.FSharp.CoreTypes
open TorchSharp

/// <summary>
/// Pure gradients over <see cref="T:MiniHaiku.Params"/> as plain functions (the core's <c>Grad</c>):
/// <c>let loss, grads = Grad.valueAndGrad lossFn p</c>. Partially applied, <c>Grad.valueAndGrad lossFn</c>
/// is JAX's <c>jax.value_and_grad(loss_fn)</c>.
/// </summary>
[<RequireQualifiedAccess; CompilationRepresentation(CompilationRepresentationFlags.ModuleSuffix)>]
module Grad =
    /// The loss at <c>parameters</c> and its gradient with respect to every parameter (same paths).
    let valueAndGrad (loss: Params -> torch.Tensor) (parameters: Params) : torch.Tensor * Params =
        let struct (value, grads) = CoreGrad.ValueAndGrad(Func<Params, torch.Tensor> loss).Invoke parameters
        value, grads

    /// The gradient of <c>loss</c> at <c>parameters</c>.
    let grad (loss: Params -> torch.Tensor) (parameters: Params) : Params =
        CoreGrad.Gradient(Func<Params, torch.Tensor> loss).Invoke parameters

    /// Like <c>valueAndGrad</c> for a loss that also returns an auxiliary value (not differentiated).
    let valueAndGradWithAux (loss: Params -> torch.Tensor * 'Aux) (parameters: Params) : torch.Tensor * 'Aux * Params =
        let structLoss = Func<Params, struct (torch.Tensor * 'Aux)>(fun p -> let l, a = loss p in struct (l, a))
        let struct (value, aux, grads) = CoreGrad.ValueAndGradWithAux(structLoss).Invoke parameters
        value, aux, grads
