using System.Collections;
using System.Collections.Immutable;

namespace MiniHaiku;

/// <summary>
/// Module naming (Haiku's <c>module.py</c> naming rules): unique names per scope invocation, automatic
/// <c>{Type}_{n}</c> names, and the validity rules for module, parameter and state names.
/// </summary>
internal static class Naming
{
    /// <summary>
    /// Reserves a module name in the current scope invocation: <paramref name="explicitName"/> if given, else
    /// <c>{typeName}_{n}</c> where n counts this type's modules in this invocation.
    /// </summary>
    public static (ModuleName Name, Frame Frame) ReserveName(Frame frame, string typeName, string? explicitName)
    {
        var scope = frame.CurrentScope;
        var names = scope.Names;
        string chosen;
        NameTable next;
        if (explicitName is null)
        {
            var n = names.Counter(typeName);
            do chosen = typeName + "_" + n++;
            while (names.Contains(chosen));
            next = names.Add(chosen, typeName, n);
        }
        else
        {
            if (!IsValidModuleName(explicitName))
                throw new ModuleNameException(
                    $"Invalid module name '{explicitName}' in scope '{scope.Path}': names must match ^[A-Za-z_][A-Za-z0-9_]*$ (letters, digits, underscores; not starting with a digit).",
                    explicitName, scope.Path);
            if (names.Contains(explicitName))
                throw new ModuleNameException(
                    $"Duplicate module name '{explicitName}' in scope '{scope.Path}': another module created in this same call already has it. Give each module a distinct name, or omit the name to get {typeName}_n.",
                    explicitName, scope.Path);
            chosen = explicitName;
            next = names.Add(chosen, null, 0);
        }
        return (new ModuleName(chosen, scope.Path + "/" + chosen), frame.WithScope(scope with { Names = next }));
    }

    /// <summary>A model reserving a name as <see cref="ReserveName"/> does and producing its path.</summary>
    public static Model<string> ReservePath(string typeName, string? explicitName) =>
        ModelOps.Lift(frame =>
        {
            var (name, next) = ReserveName(frame, typeName, explicitName);
            return (name.Path, next);
        });

    /// <summary>True when <paramref name="name"/> matches <c>^[A-Za-z_][A-Za-z0-9_]*$</c>.</summary>
    public static bool IsValidModuleName(string name)
    {
        if (name.Length == 0 || !(char.IsAsciiLetter(name[0]) || name[0] == '_')) return false;
        foreach (var c in name)
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_')) return false;
        return true;
    }

    /// <summary>Throws unless <paramref name="name"/> is a valid parameter or state name (non-empty, no <c>/</c>).</summary>
    public static void ValidateLeafName(string name, string scope, string kind)
    {
        if (name.Length == 0 || name.Contains('/'))
            throw new ParameterNameException(
                $"Invalid {kind} name '{name}' in scope '{scope}': a name must be non-empty and must not contain '/'. Scopes come from modules, not from names.",
                name, scope);
    }

    /// <summary>The automatic-name prefix of a module type: its name without generic arity.</summary>
    public static class TypeName<M>
    {
        public static readonly string Value = Clean(typeof(M).Name);

        private static string Clean(string name)
        {
            var tick = name.IndexOf('`');
            return tick < 0 ? name : name[..tick];
        }
    }
}

/// <summary>
/// The module names handed out in one scope invocation and the per-type counters for automatic names.
/// Persistent: <see cref="Add"/> returns a new table. Most invocations hold a handful of names, so a small
/// table is two arrays copied on add (no hashing); past <see cref="SmallLimit"/> names it switches to hashed
/// immutable collections so a scope with thousands of modules stays O(log n) per name.
/// </summary>
internal sealed class NameTable : IEnumerable<string>
{
    private const int SmallLimit = 8;

    /// <summary>No names, no counters.</summary>
    public static NameTable Empty { get; } = new([], [], [], null, null);

    private readonly string[] names;
    private readonly string[] counterTypes;
    private readonly int[] counterValues;
    private readonly ImmutableHashSet<string>? bigNames;
    private readonly ImmutableDictionary<string, int>? bigCounters;

    private NameTable(string[] names, string[] counterTypes, int[] counterValues, ImmutableHashSet<string>? bigNames, ImmutableDictionary<string, int>? bigCounters)
    {
        this.names = names;
        this.counterTypes = counterTypes;
        this.counterValues = counterValues;
        this.bigNames = bigNames;
        this.bigCounters = bigCounters;
    }

    /// <summary>How many names were handed out.</summary>
    public int Count => bigNames?.Count ?? names.Length;

    /// <summary>Whether <paramref name="name"/> was handed out.</summary>
    public bool Contains(string name)
    {
        if (bigNames is not null) return bigNames.Contains(name);
        foreach (var n in names)
            if (string.Equals(n, name, StringComparison.Ordinal)) return true;
        return false;
    }

    /// <summary>The next automatic index for <paramref name="typeName"/> (0 when none was handed out).</summary>
    public int Counter(string typeName)
    {
        if (bigCounters is not null) return bigCounters.GetValueOrDefault(typeName);
        for (var i = 0; i < counterTypes.Length; i++)
            if (string.Equals(counterTypes[i], typeName, StringComparison.Ordinal)) return counterValues[i];
        return 0;
    }

    /// <summary>A table with <paramref name="name"/> added and, when <paramref name="counterType"/> is given, its counter set to <paramref name="counterNext"/>.</summary>
    public NameTable Add(string name, string? counterType, int counterNext)
    {
        if (bigNames is null && names.Length < SmallLimit)
        {
            var newNames = new string[names.Length + 1];
            names.CopyTo(newNames, 0);
            newNames[^1] = name;
            if (counterType is null) return new(newNames, counterTypes, counterValues, null, null);
            var at = Array.IndexOf(counterTypes, counterType);
            string[] types = counterTypes;
            int[] values;
            if (at < 0)
            {
                types = new string[counterTypes.Length + 1];
                counterTypes.CopyTo(types, 0);
                types[^1] = counterType;
                values = new int[counterValues.Length + 1];
                counterValues.CopyTo(values, 0);
                values[^1] = counterNext;
            }
            else
            {
                values = (int[])counterValues.Clone();
                values[at] = counterNext;
            }
            return new(newNames, types, values, null, null);
        }
        var set = bigNames ?? ImmutableHashSet.Create(StringComparer.Ordinal, names);
        var counters = bigCounters ?? ImmutableDictionary.CreateRange(StringComparer.Ordinal,
            counterTypes.Select((t, i) => KeyValuePair.Create(t, counterValues[i])));
        if (counterType is not null) counters = counters.SetItem(counterType, counterNext);
        return new([], [], [], set.Add(name), counters);
    }

    /// <inheritdoc />
    public IEnumerator<string> GetEnumerator() => bigNames is not null ? bigNames.GetEnumerator() : ((IEnumerable<string>)names).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
