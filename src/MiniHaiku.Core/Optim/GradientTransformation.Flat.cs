using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public sealed partial record GradientTransformation
{
    private FlatTransform? flat;
    private Delegate? flatInit, flatUpdate, flatExtraUpdate;

    /// <summary>
    /// The flat form of this transformation when it is elementwise (Adam, SGD, Lion, scaling, weight decay and
    /// chains of them), else null. A copy whose functions were replaced (<c>with { UpdateFunction = … }</c>) has none.
    /// </summary>
    internal FlatTransform? Flat =>
        flat is not null && ReferenceEquals(flatInit, InitFunction) && ReferenceEquals(flatUpdate, UpdateFunction)
        && ReferenceEquals(flatExtraUpdate, ExtraArgsUpdateFunction) ? flat : null;

    /// <summary>This transformation, also runnable on flat buffers by <paramref name="flatForm"/> (which must compute the same values).</summary>
    internal GradientTransformation WithFlat(FlatTransform? flatForm)
    {
        if (flatForm is null) return this;
        flat = flatForm;
        (flatInit, flatUpdate, flatExtraUpdate) = (InitFunction, UpdateFunction, ExtraArgsUpdateFunction);
        return this;
    }
}

/// <summary>
/// Runs an optimizer step on flat buffers: gradients, parameters and slots of a model in one buffer each, the
/// update a handful of kernels whatever the tensor count. The trainer's fast path.
/// </summary>
internal static class FlatUpdate
{
    /// <summary>
    /// One update and its application: <c>p + u</c>. <paramref name="grads"/> is owned (overwritten).
    /// <paramref name="mayDonate"/> says which flat-backed maps (the parameters, each slot) the caller gives up: those
    /// are updated in place and returned as they are; the others are left untouched and the result lives in new
    /// buffers. Returns flat-backed parameters and a state with flat-backed slots.
    /// </summary>
    public static (Params Params, OptState State) Apply(FlatTransform transform, FlatLayout layout, Tensor grads, Params parameters, OptState state,
        Func<Params, bool> mayDonate)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var own = layout.TryGetFlat(parameters);
        var paramsFlat = own ?? layout.Pack(parameters);
        var donated = own is not null && mayDonate(parameters);
        var (value, newState) = transform.UpdateValue(FlatValue.Of(grads, true), state, new FlatContext(layout, paramsFlat, mayDonate));
        Params newParams;
        if (own is null || donated)
        {
            value.AddTo(paramsFlat);
            newParams = donated ? parameters : layout.Views(paramsFlat);
        }
        else newParams = layout.Views(value.AddedTo(paramsFlat));
        foreach (var t in newParams.Values) if (scope.Contains(t)) scope.MoveToOuter(t);
        foreach (var t in newState.Tensors()) if (scope.Contains(t)) scope.MoveToOuter(t);
        return (newParams, newState);
    }

    /// <summary>Whether every slot of <paramref name="state"/> (and its inner states) is flat-backed with <paramref name="layout"/> or can be packed into it.</summary>
    public static bool SlotsFit(FlatLayout layout, OptState state)
    {
        foreach (var slot in state.Slots.Values)
            if (!layout.Backs(slot) && !layout.Fits(slot)) return false;
        foreach (var inner in state.Inner)
            if (!SlotsFit(layout, inner)) return false;
        return true;
    }
}
