using System.Reflection;
using System.Reflection.Emit;

namespace MiniHaiku.Tests.Support;

/// <summary>
/// Reads the IL of compiled methods: which methods an assembly has (including compiler-generated lambdas and
/// closures) and which methods and constructors each one calls. Used by tests that enforce coding rules on the
/// library's binaries (no temporary TorchSharp Scalars, no argument exceptions other than ArgumentNullException).
/// </summary>
internal static class IlScanner
{
    public static IEnumerable<MethodBase> AllMethods(Assembly assembly)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        Type[] types;
        try { types = assembly.GetTypes(); }
        catch (ReflectionTypeLoadException e) { types = e.Types.Where(t => t is not null).ToArray()!; }
        foreach (var t in types)
        {
            foreach (var m in t.GetMethods(all)) yield return m;
            foreach (var c in t.GetConstructors(all)) yield return c;
        }
    }

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    public static IEnumerable<MethodBase> Callees(MethodBase m)
    {
        byte[]? il;
        try { il = m.GetMethodBody()?.GetILAsByteArray(); }
        catch (Exception) { il = null; }
        if (il is null) yield break;
        var typeArgs = m.DeclaringType is { IsGenericType: true } dt ? dt.GetGenericArguments() : null;
        var methodArgs = m.IsGenericMethod ? m.GetGenericArguments() : null;
        for (var i = 0; i < il.Length;)
        {
            short value = il[i] == 0xFE && i + 1 < il.Length ? (short)(0xFE00 | il[i + 1]) : il[i];
            if (!OpCodesByValue.TryGetValue(value, out var op)) yield break; // not IL we understand: stop, never guess
            i += op.Size;
            var operandSize = op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i),
                _ => 4,
            };
            if (op.OperandType == OperandType.InlineMethod)
            {
                MethodBase? callee = null;
                try { callee = m.Module.ResolveMethod(BitConverter.ToInt32(il, i), typeArgs, methodArgs); }
                catch (Exception) { }
                if (callee is MethodInfo { IsGenericMethod: true, IsGenericMethodDefinition: false } generic)
                    callee = generic.GetGenericMethodDefinition();
                if (callee is not null) yield return callee;
            }
            i += operandSize;
        }
    }
}
