namespace MiniHaiku.FSharp

open System
open MiniHaiku
open MiniHaiku.Optim

/// <summary>
/// Optax-style optimizers (the core's <c>Optimizers</c>, Optax's defaults) and their use as plain
/// functions: <c>let updates, state2 = Optim.update opt grads state p</c>, then
/// <c>Optim.applyUpdates updates p</c>. Schedules: pass <c>Schedule.CosineDecay(…)</c> etc. to the
/// <c>Optimizers</c> methods directly.
/// </summary>
[<RequireQualifiedAccess; CompilationRepresentation(CompilationRepresentationFlags.ModuleSuffix)>]
module Optim =
    /// Stochastic gradient descent with a constant learning rate.
    let sgd (learningRate: float) : GradientTransformation = Optimizers.Sgd(Schedule.Constant learningRate)

    /// SGD with (heavy-ball) momentum.
    let sgdWithMomentum (learningRate: float) (momentum: float) : GradientTransformation =
        Optimizers.Sgd(Schedule.Constant learningRate, momentum)

    /// Adam (b1 0.9, b2 0.999, eps 1e-8).
    let adam (learningRate: float) : GradientTransformation = Optimizers.Adam(Schedule.Constant learningRate)

    /// AdamW with decoupled weight decay.
    let adamW (learningRate: float) (weightDecay: float) : GradientTransformation =
        Optimizers.AdamW(Schedule.Constant learningRate, weightDecay = weightDecay)

    /// RMSProp (decay 0.99, eps 1e-8).
    let rmsProp (learningRate: float) : GradientTransformation = Optimizers.RmsProp(Schedule.Constant learningRate)

    /// Adagrad.
    let adagrad (learningRate: float) : GradientTransformation = Optimizers.Adagrad(Schedule.Constant learningRate)

    /// Scales updates so their global norm is at most <c>maxNorm</c>.
    let clipByGlobalNorm (maxNorm: float) : GradientTransformation = Optimizers.ClipByGlobalNorm maxNorm

    /// Applies the transformations in order (e.g. clipping, then Adam).
    let chain (transformations: GradientTransformation list) : GradientTransformation =
        Optimizers.Chain(List.toArray transformations)

    /// Applies <c>inner</c> only to the paths <c>mask</c> accepts; the others get zero updates.
    let masked (mask: string -> bool) (inner: GradientTransformation) : GradientTransformation =
        Optimizers.Masked(inner, Func<string, bool> mask)

    /// The optimizer's initial state for <c>parameters</c>.
    let init (optimizer: GradientTransformation) (parameters: Params) : OptState = optimizer.Init parameters

    /// The updates for <c>grads</c> and the next optimizer state: (updates, state).
    let update (optimizer: GradientTransformation) (grads: Params) (state: OptState) (parameters: Params) : Params * OptState =
        let struct (updates, next) = optimizer.Update(grads, state, parameters)
        updates, next

    /// <c>parameters + updates</c>, path by path.
    let applyUpdates (updates: Params) (parameters: Params) : Params = parameters.ApplyUpdates updates
