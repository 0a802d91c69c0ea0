using System.Collections.Immutable;
using MiniHaiku.Optim;

namespace MiniHaiku.Checkpoints;

/// <summary>What <see cref="Checkpoint.Load(string)"/> read from a file.</summary>
/// <param name="Path">The file.</param>
/// <param name="Params">The parameters (entries saved under <c>params/</c>, and any entry without a known prefix).</param>
/// <param name="State">The model state (entries saved under <c>state/</c>).</param>
/// <param name="OptState">The flattened optimizer state (entries saved under <c>opt_state/</c>); see <see cref="RestoreOptState"/>.</param>
/// <param name="Metadata">The string metadata of the file's <c>__metadata__</c> entry.</param>
public sealed record CheckpointContents(string Path, Params Params, Params State, Params OptState, ImmutableSortedDictionary<string, string> Metadata)
{
    /// <summary>Rebuilds the optimizer state, taking its structure from <paramref name="template"/> (e.g. <c>optimizer.Init(params)</c>).</summary>
    /// <param name="template">A state of the same optimizer for the same parameters.</param>
    /// <returns>The saved optimizer state.</returns>
    /// <exception cref="CheckpointException">The saved state does not fit the template.</exception>
    public OptState RestoreOptState(OptState template)
    {
        ArgumentNullException.ThrowIfNull(template);
        if (OptState.Count == 0) throw new CheckpointException(Path, "holds no optimizer state (it was saved without one).");
        try
        {
            return Optim.OptState.FromParams(OptState, template);
        }
        catch (MiniHaikuException e)
        {
            throw new CheckpointException(Path, "its optimizer state does not fit this optimizer and these parameters: " + e.Message, e);
        }
    }
}
