using System.Reflection;
using MiniHaiku.Optim;

using MiniHaiku.Tests.Support;

namespace MiniHaiku.Tests.Internal;

/// <summary>
/// Keeps MiniHaiku.Core free of the TorchSharp Scalar hazard (issue 9) by reading its IL: no method may create a
/// temporary <see cref="Scalar"/> (an implicit conversion such as <c>x * 2.0</c> or <c>clamp(min: 1e-6)</c>), nor
/// call a TorchSharp method that creates one inside (the operators <c>a + b</c>, <c>a - b</c>, <c>a * 2.0</c>,
/// <c>add(b)</c> with its hidden alpha, …). Explicit <c>v.ToScalar()</c> held by the caller (as SafeOps does) is
/// allowed. Which TorchSharp methods create Scalars is itself computed from TorchSharp's IL, transitively.
/// </summary>
public class ScalarHazardScanTests
{

    [Fact]
    public void MiniHaikuCoreCreatesNoTemporaryScalars()
    {
        var findings = Scan(typeof(Hk).Assembly)
            .Select(f => $"{f.Method.DeclaringType?.FullName}.{f.Method.Name} calls {f.Callee.DeclaringType?.Name}.{f.Callee}")
            .Distinct()
            .ToList();
        Assert.True(findings.Count == 0,
            "Use MiniHaiku.Internal.SafeOps (or hold a `using var s = v.ToScalar()` across the call) instead of:\n" + string.Join("\n", findings));
    }

    [Fact]
    public void TheScanFindsTheHazardsItLooksFor()
    {
        var flagged = Scan(typeof(ScalarHazardScanTests).Assembly)
            .Where(f => f.Method.DeclaringType == typeof(Hazards))
            .Select(f => f.Method.Name)
            .ToHashSet();
        Assert.Equal(new[] { "Add", "AddMethod", "ClampMin", "MinusFromDouble", "Times" }, flagged.Order(StringComparer.Ordinal).ToArray());
        Assert.DoesNotContain("Safe", flagged);
        Assert.DoesNotContain("Multiply", flagged);
    }

    private static class Hazards
    {
        public static Tensor Add(Tensor a, Tensor b) => a + b;
        public static Tensor AddMethod(Tensor a, Tensor b) => a.add(b);
        public static Tensor Times(Tensor a) => a * 2.0;
        public static Tensor ClampMin(Tensor a) => a.clamp_min(1e-6);
        public static Tensor MinusFromDouble(Tensor a) => 1 - a;
        public static Tensor Safe(Tensor a, Tensor b) => a.Plus(b).Times(2.0).ClampMin(1e-6);
        public static Tensor Multiply(Tensor a, Tensor b) => a * b;
    }

    private static bool IsInOptimizers(MethodBase m)
    {
        for (var t = m.DeclaringType; t is not null; t = t.DeclaringType)
            if (t == typeof(Optimizers)) return true;
        return false;
    }

    // "Adam" for Adam, "<ScaleByAdam>b__0_0" → "ScaleByAdam" for its lambdas.
    private static string SourceName(MethodBase m)
    {
        var name = m.Name;
        if (name.StartsWith('<') && name.IndexOf('>') is var end and > 1) return name[1..end];
        return name;
    }

    private static IEnumerable<(MethodBase Method, MethodBase Callee)> Scan(Assembly assembly)
    {
        var hazardous = HazardousTorchSharpMethods.Value;
        foreach (var m in IlScanner.AllMethods(assembly))
            foreach (var callee in IlScanner.Callees(m))
                if (CreatesScalarInline(callee) || hazardous.Contains(callee))
                    yield return (m, callee);
    }

    // A call that itself makes a Scalar the caller does not hold: an implicit conversion to Scalar.
    private static bool CreatesScalarInline(MethodBase callee) =>
        callee is MethodInfo { Name: "op_Implicit" } mi && mi.ReturnType == typeof(Scalar);

    // Creating a Scalar that nobody holds: implicit conversions, ToScalar() whose result TorchSharp passes on.
    private static bool CreatesScalar(MethodBase callee) =>
        callee is MethodInfo mi && mi.ReturnType == typeof(Scalar) && (mi.Name == "op_Implicit" || mi.Name == "ToScalar");

    private static readonly Lazy<HashSet<MethodBase>> HazardousTorchSharpMethods = new(() =>
    {
        var torchSharp = typeof(Tensor).Assembly;
        var callees = IlScanner.AllMethods(torchSharp).ToDictionary(m => m, m => IlScanner.Callees(m).ToList());
        var hazardous = callees.Where(kv => kv.Value.Any(CreatesScalar)).Select(kv => kv.Key).ToHashSet();
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var (m, cs) in callees)
                if (!hazardous.Contains(m) && cs.Any(hazardous.Contains))
                    changed |= hazardous.Add(m);
        }
        return hazardous;
    });
}
