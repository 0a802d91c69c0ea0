using TorchSharp;

namespace MiniHaiku;

/// <summary>Helpers for tensor lifetimes in the imperative shell.</summary>
public static class TensorScope
{
    /// <summary>
    /// Runs <paramref name="body"/> inside a fresh dispose scope and disposes every tensor it created
    /// except those in the returned <see cref="Params"/>, which are moved to the caller's scope.
    /// </summary>
    /// <param name="body">Work that produces parameters.</param>
    /// <returns>The parameters, alive after the scope ends.</returns>
    public static Params Keep(Func<Params> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        using var scope = torch.NewDisposeScope();
        var result = body();
        foreach (var t in result.Values) t.MoveToOuterDisposeScope();
        return result;
    }
}
