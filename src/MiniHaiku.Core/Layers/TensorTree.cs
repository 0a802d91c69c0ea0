using System.Collections;
using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// Haiku's pytrees for the recurrent cores: a value is a tree whose leaves are tensors, and whose inner
/// nodes are tuples (<see cref="ITuple"/>), arrays, <see cref="ImmutableArray{T}"/>, <see cref="ImmutableList{T}"/>
/// or records/classes built by a constructor whose parameters name their public properties (C# positional
/// records, F# records). Any other value (numbers, strings, null) is kept as it is.
/// </summary>
internal static class TensorTree
{
    /// <summary>The tensors of <paramref name="tree"/>, in a fixed (depth-first) order.</summary>
    public static List<Tensor> Leaves(object? tree)
    {
        var leaves = new List<Tensor>();
        Collect(tree, leaves);
        return leaves;
    }

    private static void Collect(object? tree, List<Tensor> leaves)
    {
        if (tree is Tensor t) { leaves.Add(t); return; }
        foreach (var child in Children(tree)) Collect(child, leaves);
    }

    /// <summary>Maps every tensor leaf of <paramref name="tree"/>, rebuilding the same structure.</summary>
    public static T Map<T>(T tree, Func<Tensor, Tensor> f) => (T)MapMany([tree], ts => f(ts[0]))!;

    /// <summary>
    /// Maps the corresponding leaves of several trees of the same structure (e.g. one per time step)
    /// to one tree of that structure.
    /// </summary>
    /// <exception cref="ModelUsageException">The trees differ in structure.</exception>
    public static object? MapMany(IReadOnlyList<object?> trees, Func<Tensor[], Tensor> f)
    {
        var first = trees[0];
        switch (first)
        {
            case Tensor:
                return f(trees.Select((t, i) => t as Tensor ?? throw Mismatch(first, t)).ToArray());
            case null:
                return null;
        }
        var type = first.GetType();
        if (IsAtom(type)) return first;
        foreach (var t in trees)
            if (t is null || t.GetType() != type) throw Mismatch(first, t);
        var children = trees.Select(t => Children(t).ToArray()).ToArray();
        var count = children[0].Length;
        if (children.Any(c => c.Length != count)) throw Mismatch(first, trees[children.ToList().FindIndex(c => c.Length != count)]);
        var mapped = new object?[count];
        for (var i = 0; i < count; i++)
            mapped[i] = MapMany(children.Select(c => c[i]).ToArray(), f);
        return Rebuild(first, mapped);
    }

    private static ModelUsageException Mismatch(object? a, object? b) =>
        new($"Two values of a recurrent core's state or output differ in structure: {ValueShapes.Describe(a)} vs {ValueShapes.Describe(b)}. A core must return states and outputs of the same structure at every step.");

    private static bool IsAtom(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || typeof(Delegate).IsAssignableFrom(type);

    private static IEnumerable<object?> Children(object? tree)
    {
        if (tree is null or Tensor) return [];
        var type = tree.GetType();
        if (IsAtom(type)) return [];
        if (tree is ITuple tuple) return Enumerable.Range(0, tuple.Length).Select(i => tuple[i]);
        if (tree is Array array) return array.Cast<object?>();
        if (IsGeneric(type, typeof(ImmutableArray<>)) || IsGeneric(type, typeof(ImmutableList<>))) return ((IEnumerable)tree).Cast<object?>();
        var (_, properties) = RecordShape(type);
        return properties.Select(p => p.GetValue(tree));
    }

    private static bool IsGeneric(Type type, Type definition) => type.IsGenericType && type.GetGenericTypeDefinition() == definition;

    private static object Rebuild(object template, object?[] children)
    {
        var type = template.GetType();
        if (template is ITuple)
        {
            if (children.Length == 0) return template;
            return Activator.CreateInstance(type, children)!;
        }
        if (template is Array)
        {
            var element = type.GetElementType()!;
            var array = Array.CreateInstance(element, children.Length);
            for (var i = 0; i < children.Length; i++) array.SetValue(children[i], i);
            return array;
        }
        if (IsGeneric(type, typeof(ImmutableArray<>)) || IsGeneric(type, typeof(ImmutableList<>)))
        {
            var element = type.GetGenericArguments()[0];
            var array = Array.CreateInstance(element, children.Length);
            for (var i = 0; i < children.Length; i++) array.SetValue(children[i], i);
            var factory = IsGeneric(type, typeof(ImmutableArray<>)) ? typeof(ImmutableArray) : typeof(ImmutableList);
            var create = factory.GetMethods().Single(m => m.Name == "CreateRange" && m.GetParameters().Length == 1 && m.GetParameters()[0].ParameterType.IsGenericType
                && m.GetParameters()[0].ParameterType.GetGenericTypeDefinition() == typeof(IEnumerable<>));
            return create.MakeGenericMethod(element).Invoke(null, [array])!;
        }
        var (constructor, _) = RecordShape(type);
        return constructor.Invoke(children);
    }

    /// <summary>The constructor whose parameters name public properties, and those properties in its order.</summary>
    private static (ConstructorInfo Constructor, PropertyInfo[] Properties) RecordShape(Type t)
    {
        var properties = t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanRead && p.GetIndexParameters().Length == 0).ToArray();
        foreach (var c in t.GetConstructors().OrderByDescending(c => c.GetParameters().Length))
        {
            var ps = c.GetParameters();
            var matched = ps.Select(p => properties.FirstOrDefault(q => string.Equals(q.Name, p.Name, StringComparison.OrdinalIgnoreCase) && p.ParameterType.IsAssignableFrom(q.PropertyType))).ToArray();
            if (matched.All(m => m is not null) && (ps.Length > 0 || properties.Length == 0)) return (c, matched.Select(m => m!).ToArray());
        }
        throw new ModelUsageException(
            $"{t.Name} cannot be used as a recurrent state or output: MiniHaiku rebuilds such values from their tensors, which needs a tensor, a tuple, an array, an ImmutableArray/ImmutableList, or a record whose constructor parameters name its public properties (a C# positional record or an F# record).");
    }
}
