using MiniHaiku.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Training;

/// <summary>
/// Everything a training run carries from one step to the next: parameters, model state, optimizer
/// state, the number of steps taken and the random key for the next step. Immutable; a step returns a
/// new one.
/// </summary>
/// <param name="Params">The model parameters.</param>
/// <param name="State">The model state (<see cref="Params.Empty"/> for stateless models).</param>
/// <param name="OptState">The optimizer state.</param>
/// <param name="Step">How many steps have been taken.</param>
/// <param name="Rng">The key the next step splits its random key from.</param>
public sealed record TrainState(Params Params, Params State, OptState OptState, long Step, RngKey Rng)
{
    /// <summary>
    /// How many of the <see cref="Step"/> steps were skipped because their loss or gradients were not finite
    /// (only with <see cref="NonFinitePolicy.Skip"/>; 0 otherwise).
    /// </summary>
    public long SkippedSteps { get; init; }

    /// <summary>Every tensor held by this state (parameters, model state, optimizer slots).</summary>
    /// <returns>The tensors; a tensor shared by two parts appears twice.</returns>
    public IEnumerable<Tensor> Tensors()
    {
        foreach (var t in Params.Values) yield return t;
        foreach (var t in State.Values) yield return t;
        foreach (var t in OptState.Tensors()) yield return t;
    }

    /// <summary>
    /// A copy of this state on <paramref name="device"/> (parameters, model state, optimizer slots); step, key and
    /// skipped steps are kept. This state is left as it is.
    /// </summary>
    /// <param name="device">The target device, e.g. <c>torch.CUDA</c> or <c>torch.META</c>.</param>
    /// <returns>The moved state; tensors already on the device are copied too, so the two states never share a tensor.</returns>
    public TrainState To(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        using var scope = torch.NewDisposeScope();
        Tensor Move(Tensor t) => t.to(device, copy: true).detach();
        var flat = OptState.ToParams();
        var moved = this with
        {
            Params = Params.Map(Move),
            State = State.Map(Move),
            // Counts and numbers are plain numbers in the structured state: read them on the CPU (a meta tensor has no value to read).
            OptState = OptState.FromParams(flat.Map((path, t) => IsCount(path, t) ? t : Move(t)), OptState),
        };
        foreach (var t in moved.Tensors()) if (scope.Contains(t)) scope.MoveToOuter(t);
        return moved;
    }

    /// <summary>A step count or a named number (<c>…#name</c>) of the flattened optimizer state: scalars read back as plain numbers.</summary>
    private static bool IsCount(string path, Tensor t) =>
        t.Dimensions == 0 && (path == "count" || path.EndsWith("/count", StringComparison.Ordinal) || path.Contains('#', StringComparison.Ordinal));

    /// <summary>Disposes every tensor of this state. Use only when nothing else holds them.</summary>
    public void DisposeTensors()
    {
        var done = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var t in Tensors())
            if (done.Add(t)) t.Dispose();
    }
}
