namespace MiniHaiku;

/// <summary>
/// One module method call recorded while the run records calls (for summaries such as
/// <c>Summary.Tabulate</c>). Recording is off (null) in normal <c>Init</c>/<c>Apply</c> runs.
/// </summary>
/// <param name="ModulePath">The module's path, e.g. <c>~/MLP_0/__call__/Linear_0</c>.</param>
/// <param name="Method">The method's scope name, e.g. <c>__call__</c>.</param>
/// <param name="Depth">How many module calls enclose this one (0 at top level).</param>
/// <param name="Input">The input shapes (e.g. <c>f32[8, 3]</c>), or null when the module did not pass its input to <c>Method</c>.</param>
/// <param name="Output">The output shapes, or null while the call is still running.</param>
internal sealed record MethodCall(string ModulePath, string Method, int Depth, string? Input, string? Output)
{
    /// <summary>True once the call has returned.</summary>
    public bool Completed => Output is not null;
}
