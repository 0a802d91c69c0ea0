namespace MiniHaiku;

/// <summary>The unique name a module instance gets when it is created.</summary>
/// <param name="Name">The short name, e.g. <c>Linear_0</c>.</param>
/// <param name="Path">The full path, e.g. <c>~/MLP_0/__call__/Linear_0</c>.</param>
public sealed record ModuleName(string Name, string Path)
{
    /// <inheritdoc />
    public override string ToString() => Path;
}
