using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>The state of a core that has none (Haiku's empty tuple <c>()</c>).</summary>
public sealed record EmptyState
{
    /// <summary>The one empty state.</summary>
    public static EmptyState Value { get; } = new();
}

/// <summary>
/// A recurrent core that returns its input as output and keeps no state (Haiku's <c>hk.IdentityCore</c>):
/// a placeholder in a <see cref="DeepRNN"/> or wherever a core is expected. No parameters.
/// </summary>
/// <param name="Name">The module's name.</param>
/// <example>
/// <code>
/// return from core in IdentityCore.Create()
///        from step in core.Call(x, EmptyState.Value)
///        select step.Output;   // x itself
/// </code>
/// </example>
public sealed record IdentityCore(ModuleName Name) : Module(Name), IRecurrentCore<EmptyState>
{
    /// <summary>Creates an identity core.</summary>
    /// <param name="name">An explicit module name, or null for <c>IdentityCore_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<IdentityCore> Create(string? name = null) => Hk.Module(n => new IdentityCore(n), name);

    /// <inheritdoc />
    public Model<CoreOutput<EmptyState>> Call(Tensor x, EmptyState state)
    {
        ArgumentNullException.ThrowIfNull(x);
        return Method(Hk.Pure(new CoreOutput<EmptyState>(x, state ?? EmptyState.Value)), x);
    }

    /// <inheritdoc />
    public EmptyState InitialState(long? batchSize, ScalarType dtype = ScalarType.Float32) => EmptyState.Value;
}
