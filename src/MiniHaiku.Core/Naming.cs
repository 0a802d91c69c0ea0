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
    /// <param name="frame">The frame whose current scope invocation hands out the name.</param>
    /// <param name="typeName">The automatic-name prefix.</param>
    /// <param name="explicitName">The name asked for, or null for an automatic one.</param>
    /// <param name="numbered">The first automatic names of <paramref name="typeName"/> (<see cref="TypeName{M}.Numbered"/>), or null.</param>
    public static (ModuleName Name, Frame Frame) ReserveName(Frame frame, string typeName, string? explicitName, string[]? numbered = null)
    {
        var scope = frame.CurrentScope;
        var names = scope.Names;
        string chosen;
        NameTable next;
        if (explicitName is null)
        {
            var n = names.Counter(typeName);
            do
            {
                chosen = numbered is not null && n < numbered.Length ? numbered[n] : typeName + "_" + n;
                n++;
            }
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

        /// <summary><c>{Value}_0</c> … <c>{Value}_15</c>, made once (immutable): a model's Apply names its modules on every call.</summary>
        public static readonly string[] Numbered = [.. Enumerable.Range(0, 16).Select(i => Value + "_" + i)];

        private static string Clean(string name)
        {
            var tick = name.IndexOf('`');
            return tick < 0 ? name : name[..tick];
        }
    }
}

/// <summary>
/// The module names handed out in one scope invocation and the per-type counters for automatic names.
/// Persistent: <see cref="Add"/> returns a new table and never changes this one. Most invocations hold a
/// handful of names, so a small table is a linked list of entries, one allocation per name and no hashing;
/// past <see cref="SmallLimit"/> names it switches to hashed immutable collections so a scope with thousands
/// of modules stays O(log n) per name.
/// </summary>
internal sealed class NameTable : IEnumerable<string>
{
    private const int SmallLimit = 8;

    /// <summary>No names, no counters.</summary>
    public static NameTable Empty { get; } = new(null, null, 0, null, 0, null, null);

    // Small form: each table is one entry (its newest name) in front of the table it extends, so adding a name is one
    // allocation and no hashing; an entry may also set its type's counter (the newest setting wins).
    private readonly string? name;
    private readonly string? counterType;
    private readonly int counterNext;
    private readonly NameTable? next;
    private readonly int count;
    private readonly ImmutableHashSet<string>? bigNames;
    private readonly ImmutableDictionary<string, int>? bigCounters;

    private NameTable(string? name, string? counterType, int counterNext, NameTable? next, int count, ImmutableHashSet<string>? bigNames, ImmutableDictionary<string, int>? bigCounters)
    {
        this.name = name;
        this.counterType = counterType;
        this.counterNext = counterNext;
        this.next = next;
        this.count = count;
        this.bigNames = bigNames;
        this.bigCounters = bigCounters;
    }

    /// <summary>The small form's entries, newest first (the empty table has none).</summary>
    private IEnumerable<NameTable> Entries()
    {
        for (var e = this; e.count > 0; e = e.next!) yield return e;
    }

    /// <summary>How many names were handed out.</summary>
    public int Count => bigNames?.Count ?? count;

    /// <summary>Whether <paramref name="name"/> was handed out.</summary>
    public bool Contains(string name)
    {
        if (bigNames is not null) return bigNames.Contains(name);
        for (var e = this; e.count > 0; e = e.next!)
            if (string.Equals(e.name, name, StringComparison.Ordinal)) return true;
        return false;
    }

    /// <summary>The next automatic index for <paramref name="typeName"/> (0 when none was handed out).</summary>
    public int Counter(string typeName)
    {
        if (bigCounters is not null) return bigCounters.GetValueOrDefault(typeName);
        for (var e = this; e.count > 0; e = e.next!)
            if (e.counterType is { } t && string.Equals(t, typeName, StringComparison.Ordinal)) return e.counterNext;
        return 0;
    }

    /// <summary>A table with <paramref name="name"/> added and, when <paramref name="counterType"/> is given, its counter set to <paramref name="counterNext"/>.</summary>
    public NameTable Add(string name, string? counterType, int counterNext)
    {
        if (bigNames is null && count < SmallLimit) return new(name, counterType, counterNext, this, count + 1, null, null);
        var set = bigNames;
        var counters = bigCounters;
        if (set is null || counters is null)
        {
            var names = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
            var c = ImmutableDictionary.CreateBuilder<string, int>(StringComparer.Ordinal);
            foreach (var e in Entries())
            {
                names.Add(e.name!);
                if (e.counterType is { } t) c.TryAdd(t, e.counterNext); // newest first: the first setting seen wins
            }
            set = names.ToImmutable();
            counters = c.ToImmutable();
        }
        if (counterType is not null) counters = counters.SetItem(counterType, counterNext);
        return new(null, null, 0, null, 0, set.Add(name), counters);
    }

    /// <inheritdoc />
    public IEnumerator<string> GetEnumerator()
    {
        if (bigNames is not null) return bigNames.GetEnumerator();
        var names = new string[count];
        var i = count;
        foreach (var e in Entries()) names[--i] = e.name!;
        return ((IEnumerable<string>)names).GetEnumerator();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
