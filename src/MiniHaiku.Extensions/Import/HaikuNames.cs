using System.Globalization;
using System.Text;

namespace MiniHaiku.Import;

/// <summary>
/// Matches Haiku's parameter names (<c>mlp/~/linear_0/w</c>, <c>conv2_d/w</c>, <c>~/w</c>) with MiniHaiku's paths
/// (<c>~/MLP_0/__call__/Linear_0/__call__/w</c>, <c>~/Conv2D_0/__call__/w</c>, <c>~/w</c>) by a normal form both map to.
/// </summary>
/// <remarks>
/// The normal form keeps the module names and the parameter name: the <c>~</c> scope separators and MiniHaiku's
/// method segments (<c>__call__</c>, …) are dropped; each module name is lower-cased with its underscores removed,
/// and its instance number is made explicit (Haiku names a module's first instance <c>linear</c> and the next
/// <c>linear_1</c>; MiniHaiku says <c>Linear_0</c>, <c>Linear_1</c>; so <c>linear</c>, <c>linear_0</c> and
/// <c>Linear_0</c> agree, and Haiku's snake case <c>conv2_d</c> meets <c>Conv2D</c>).
/// </remarks>
public static class HaikuNames
{
    /// <summary>The normal form of a Haiku parameter name.</summary>
    /// <param name="haikuName">E.g. <c>mlp/~/linear_0/w</c>.</param>
    /// <returns>E.g. <c>mlp#0/linear#0/w</c>.</returns>
    public static string NormalizeHaiku(string haikuName)
    {
        ArgumentNullException.ThrowIfNull(haikuName);
        var parts = haikuName.Split('/').Where(p => p != "~" && p.Length > 0).ToList();
        return Join(parts);
    }

    /// <summary>The normal form of a MiniHaiku parameter path.</summary>
    /// <param name="path">E.g. <c>~/MLP_0/__call__/Linear_0/__call__/w</c>.</param>
    /// <returns>E.g. <c>mlp#0/linear#0/w</c>.</returns>
    public static string NormalizeMiniHaiku(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var parts = path.Split('/').ToList();
        if (parts.Count > 0 && parts[0] == "~") parts.RemoveAt(0);
        if (parts.Count == 0) return "";
        var scopes = parts.Take(parts.Count - 1).ToList();
        // Scopes alternate module / method (Linear_0/__call__); anything else: drop dunder method names.
        var modules = scopes.Count % 2 == 0
            ? scopes.Where((_, i) => i % 2 == 0).ToList()
            : scopes.Where(s => !(s.StartsWith("__", StringComparison.Ordinal) && s.EndsWith("__", StringComparison.Ordinal))).ToList();
        modules.Add(parts[^1]);
        return Join(modules);
    }

    private static string Join(List<string> parts)
    {
        if (parts.Count == 0) return "";
        var sb = new StringBuilder();
        for (var i = 0; i < parts.Count - 1; i++) sb.Append(Module(parts[i])).Append('/');
        return sb.Append(parts[^1]).ToString();
    }

    private static string Module(string name)
    {
        var index = 0;
        var cut = name.LastIndexOf('_');
        if (cut > 0 && cut < name.Length - 1 && name.AsSpan(cut + 1).IndexOfAnyExceptInRange('0', '9') < 0
            && int.TryParse(name.AsSpan(cut + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            index = n;
            name = name[..cut];
        }
        return name.Replace("_", "", StringComparison.Ordinal).ToLowerInvariant() + "#" + index.ToString(CultureInfo.InvariantCulture);
    }
}
