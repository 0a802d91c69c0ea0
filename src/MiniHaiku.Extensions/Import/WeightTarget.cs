namespace MiniHaiku.Import;

/// <summary>Where a file entry goes: a MiniHaiku parameter path and the layout conversion on the way.</summary>
/// <param name="Path">The parameter path, e.g. <c>~/Linear_0/__call__/w</c>.</param>
/// <param name="Layout">The conversion from the file's layout.</param>
public sealed record WeightTarget(string Path, WeightLayout Layout = WeightLayout.AsIs);
