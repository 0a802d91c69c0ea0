namespace MiniHaiku.Summaries;

/// <summary>One module method call in a <see cref="SummaryTable"/>.</summary>
/// <param name="Module">The module path, e.g. <c>~/MLP_0/__call__/Linear_0</c>.</param>
/// <param name="Method">The method, e.g. <c>__call__</c>.</param>
/// <param name="Depth">How many module calls enclose this one.</param>
/// <param name="Input">The input shapes (e.g. <c>f32[8, 3]</c>), or empty when the module does not report its input.</param>
/// <param name="Output">The output shapes.</param>
/// <param name="ParamCount">Scalar parameters under this module (its own and its submodules').</param>
/// <param name="ParamBytes">Bytes of those parameters.</param>
public sealed record SummaryRow(string Module, string Method, int Depth, string Input, string Output, long ParamCount, long ParamBytes);
