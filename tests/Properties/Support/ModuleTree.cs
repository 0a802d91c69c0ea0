using System.Collections.Concurrent;
using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;

namespace MiniHaiku.Tests.Properties.Support;

/// <summary>The module types a generated tree uses. Delta is reserved for "insert a module of another type".</summary>
public enum Kind { Alpha, Beta, Gamma, Delta }

/// <summary>The two methods every tree module has: <c>Call</c> (scope <c>__call__</c>) and <c>Encode</c>.</summary>
public enum MethodKind { Call, Encode }

/// <summary>
/// How a module's method runs its children: directly, inside <c>Hk.Cond(true|false, children, identity)</c>,
/// inside <c>Hk.Repeat(steps, children)</c>, or lifted from a separately transformed model named <c>lifted</c>.
/// </summary>
public enum Wrap { None, CondTrue, CondFalse, Repeat, Lift }

/// <summary>One way a parent uses a child: call <see cref="Method"/> <see cref="Times"/> times in a row.</summary>
public sealed record Use(MethodKind Method, int Times)
{
    public override string ToString() => $"{Method}x{Times}";
}

/// <summary>
/// A generated module: its type, optional explicit name, the parameters each of its methods asks for, the
/// children each method invocation creates (in order), and how its parent calls it.
/// </summary>
public sealed record Node(Kind Kind, string? ExplicitName, ImmutableArray<string> ParamNames, ImmutableArray<Node> Children, ImmutableArray<Use> Uses,
    Wrap Wrap = Wrap.None, int Steps = 1)
{
    public override string ToString() =>
        $"{Kind}{(ExplicitName is null ? "" : "'" + ExplicitName + "'")}[{string.Join(",", ParamNames)}]<{string.Join(",", Uses)}>" +
        (Wrap == Wrap.None ? "" : Wrap == Wrap.Repeat ? $"{{Repeat{Steps}}}" : "{" + Wrap + "}") +
        (Children.IsEmpty ? "" : "(" + string.Join(" ", Children) + ")");

    /// <summary>This node with every use collapsed to one call of each distinct method, recursively.</summary>
    public Node CalledOnce() => this with
    {
        Uses = Uses.Select(u => u.Method).Distinct().Select(m => new Use(m, 1)).ToImmutableArray(),
        Children = Children.Select(c => c.CalledOnce()).ToImmutableArray(),
    };
}

/// <summary>The top level of a generated model: the root modules, created and called in order.</summary>
public sealed record Forest(ImmutableArray<Node> Roots)
{
    public override string ToString() => string.Join(" ", Roots);

    public Forest CalledOnce() => new(Roots.Select(r => r.CalledOnce()).ToImmutableArray());

    /// <summary>Every sibling list in the tree, addressed by the child indices leading to it (empty = roots).</summary>
    public IEnumerable<ImmutableArray<int>> ListAddresses()
    {
        var result = new List<ImmutableArray<int>> { ImmutableArray<int>.Empty };
        void Walk(ImmutableArray<Node> nodes, ImmutableArray<int> at)
        {
            for (var i = 0; i < nodes.Length; i++)
            {
                var here = at.Add(i);
                result.Add(here);
                Walk(nodes[i].Children, here);
            }
        }
        Walk(Roots, ImmutableArray<int>.Empty);
        return result;
    }

    /// <summary>Inserts <paramref name="node"/> at <paramref name="index"/> (clamped) of the sibling list at <paramref name="address"/>.</summary>
    public Forest Insert(ImmutableArray<int> address, int index, Node node)
    {
        ImmutableArray<Node> Go(ImmutableArray<Node> list, int depth)
        {
            if (depth == address.Length) return list.Insert(Math.Clamp(index, 0, list.Length), node);
            var i = address[depth];
            return list.SetItem(i, list[i] with { Children = Go(list[i].Children, depth + 1) });
        }
        return new Forest(Go(Roots, 0));
    }

    public int DistinctKinds()
    {
        var kinds = new HashSet<Kind>();
        void Walk(IEnumerable<Node> ns) { foreach (var n in ns) { kinds.Add(n.Kind); Walk(n.Children); } }
        Walk(Roots);
        return kinds.Count;
    }

    public int CountNodes()
    {
        int Walk(IEnumerable<Node> ns) => ns.Sum(n => 1 + Walk(n.Children));
        return Walk(Roots);
    }
}

/// <summary>A forest with control flow inside module methods (a separate type so it gets its own generator).</summary>
public sealed record MixedForest(Forest Forest)
{
    public override string ToString() => Forest.ToString();
}

/// <summary>What the generated modules record while they run, to test paths against module identity.</summary>
/// <param name="Instance">The module's position: creation chain of (parent method, child index).</param>
/// <param name="Method">The method that asked for the parameter.</param>
/// <param name="Name">The parameter name.</param>
/// <param name="Path">The path the library gave it.</param>
public sealed record ParamRequest(string Instance, string Method, string Name, string Path);

/// <summary>The input of a generated model.</summary>
/// <param name="X">The tensor threaded through every module (shape [2]).</param>
/// <param name="UseState">Whether each method invocation also increments a <c>count</c> state.</param>
/// <param name="Log">Where parameter requests are recorded, or null.</param>
public sealed record TreeInput(Tensor X, bool UseState = false, ConcurrentQueue<ParamRequest>? Log = null);

/// <summary>The behaviour shared by the generated module types.</summary>
public abstract record TreeModule(ModuleName Name, Node Spec, string Instance) : Module(Name)
{
    public Model<Tensor> Call(TreeInput input) => Method(Body(input, "__call__"));

    public Model<Tensor> Encode(TreeInput input) => Method(Body(input, "Encode"));

    public Model<Tensor> Invoke(MethodKind method, TreeInput input) =>
        method == MethodKind.Call ? Call(input) : Encode(input);

    private Model<Tensor> Body(TreeInput input, string method)
    {
        var counted = !input.UseState ? Hk.Pure(0)
            : from c in Hk.GetState("count", [], Initializers.Zeros())
              from _ in Hk.SetState("count", c.Plus(torch.ones_like(c)))
              select 0;
        return
            from _ in counted
            from scope in Hk.CurrentScope()
            from withParams in Hk.Aggregate(Spec.ParamNames, input.X, (acc, name) =>
                Hk.GetParam(name, [2]).Select(p =>
                {
                    input.Log?.Enqueue(new ParamRequest(Instance, method, name, scope + "/" + name));
                    return acc.Plus(p);
                }))
            from y in Children(input with { X = withParams }, Instance + "/" + method)
            select y;
    }

    private Model<Tensor> Children(TreeInput input, string instance)
    {
        var children = Spec.Children;
        return Spec.Wrap switch
        {
            Wrap.CondTrue => Hk.Cond(true, ModuleTree.CreateAndCall(children, input, instance), Hk.Pure(input.X)),
            Wrap.CondFalse => Hk.Cond(false, ModuleTree.CreateAndCall(children, input, instance), Hk.Pure(input.X)),
            Wrap.Repeat => Hk.Repeat(Spec.Steps, (_, x) => ModuleTree.CreateAndCall(children, input with { X = x }, instance), input.X),
            // A lifted model that uses state must be a stateful one (Hk.Lift of a plain Transform rejects state).
            Wrap.Lift when input.UseState => Hk.Lift(Hk.TransformWithState((TreeInput i) => ModuleTree.CreateAndCall(children, i, instance)), "lifted")(input),
            Wrap.Lift => Hk.Lift(Hk.Transform((TreeInput i) => ModuleTree.CreateAndCall(children, i, instance)), "lifted")(input),
            _ => ModuleTree.CreateAndCall(children, input, instance),
        };
    }
}

public sealed record Alpha(ModuleName Name, Node Spec, string Instance) : TreeModule(Name, Spec, Instance);

public sealed record Beta(ModuleName Name, Node Spec, string Instance) : TreeModule(Name, Spec, Instance);

public sealed record Gamma(ModuleName Name, Node Spec, string Instance) : TreeModule(Name, Spec, Instance);

public sealed record Delta(ModuleName Name, Node Spec, string Instance) : TreeModule(Name, Spec, Instance);

/// <summary>Builds models from generated trees, and an independent model of the naming rules.</summary>
public static class ModuleTree
{
    public static Model<TreeModule> Create(Node node, string instance) => node.Kind switch
    {
        Kind.Alpha => Hk.Module(n => new Alpha(n, node, instance), node.ExplicitName).Select(m => (TreeModule)m),
        Kind.Beta => Hk.Module(n => new Beta(n, node, instance), node.ExplicitName).Select(m => (TreeModule)m),
        Kind.Gamma => Hk.Module(n => new Gamma(n, node, instance), node.ExplicitName).Select(m => (TreeModule)m),
        _ => Hk.Module(n => new Delta(n, node, instance), node.ExplicitName).Select(m => (TreeModule)m),
    };

    /// <summary>Creates every node of <paramref name="nodes"/> in order, then calls each as its uses say.</summary>
    public static Model<Tensor> CreateAndCall(ImmutableArray<Node> nodes, TreeInput input, string parentInstance) =>
        from modules in Hk.Sequence(nodes.Select((n, i) => Create(n, parentInstance + "#" + i)))
        from y in Hk.Aggregate(
            modules.SelectMany(m => m.Spec.Uses.SelectMany(u => Enumerable.Repeat((Module: m, u.Method), u.Times))),
            input.X,
            (x, call) => call.Module.Invoke(call.Method, input with { X = x }))
        select y;

    /// <summary>The model function of a forest: the roots created and called at the top level.</summary>
    public static Func<TreeInput, Model<Tensor>> Function(Forest forest) => input => CreateAndCall(forest.Roots, input, "root");

    public static Transformed<TreeInput, Tensor> Transform(Forest forest) => Hk.Transform(Function(forest));

    public static TreeInput Input(bool useState = false, ConcurrentQueue<ParamRequest>? log = null) =>
        new(torch.ones(2), useState, log);

    private static string MethodScope(MethodKind m) => m == MethodKind.Call ? "__call__" : "Encode";

    /// <summary>
    /// The naming rules of issue 2, written independently of the library: a child is named by its explicit
    /// name or {Type}_{n} with n counting its type among earlier siblings in the same invocation; a method
    /// scope is {module path}/{__call__|Encode}; a parameter path is {method scope}/{name}.
    /// </summary>
    public static ImmutableSortedSet<string> PredictPaths(ImmutableArray<Node> nodes, string scope)
    {
        var result = ImmutableSortedSet.CreateBuilder<string>(StringComparer.Ordinal);
        foreach (var (path, node, method, _) in PredictScopes(nodes, scope, 1))
            foreach (var p in node.ParamNames) result.Add(path + "/" + MethodScope(method) + "/" + p);
        return result.ToImmutable();
    }

    /// <summary>The paths Apply reads: those of scopes that run at least once (untaken Cond branches do not).</summary>
    public static ImmutableSortedSet<string> PredictReads(ImmutableArray<Node> nodes, string scope)
    {
        var result = ImmutableSortedSet.CreateBuilder<string>(StringComparer.Ordinal);
        foreach (var (path, node, method, calls) in PredictScopes(nodes, scope, 1))
            if (calls > 0)
                foreach (var p in node.ParamNames) result.Add(path + "/" + MethodScope(method) + "/" + p);
        return result.ToImmutable();
    }

    /// <summary>Every (module path, node, method, Apply invocation count) the rules predict, parents first.</summary>
    public static IEnumerable<(string Path, Node Node, MethodKind Method, long Invocations)> PredictScopes(
        ImmutableArray<Node> nodes, string scope, long scopeInvocations)
    {
        var counters = new Dictionary<Kind, int>();
        foreach (var node in nodes)
        {
            string name;
            if (node.ExplicitName is { } explicitName) name = explicitName;
            else
            {
                var n = counters.GetValueOrDefault(node.Kind);
                counters[node.Kind] = n + 1;
                name = node.Kind + "_" + n;
            }
            var path = scope + "/" + name;
            foreach (var method in node.Uses.Select(u => u.Method).Distinct())
            {
                var calls = scopeInvocations * node.Uses.Where(u => u.Method == method).Sum(u => u.Times);
                yield return (path, node, method, calls);
                var methodScope = path + "/" + MethodScope(method);
                var (childScope, childCalls) = node.Wrap switch
                {
                    // Cond runs the taken branch in {scope}/Cond_0/when_true; Apply never runs an untaken one.
                    Wrap.CondTrue => (methodScope + "/Cond_0/when_true", calls),
                    Wrap.CondFalse => (methodScope + "/Cond_0/when_true", 0L),
                    // Repeat's steps share names: the children appear once, called Steps times as often.
                    Wrap.Repeat => (methodScope, calls * node.Steps),
                    // Lift runs the inner model's "~" at {scope}/lifted.
                    Wrap.Lift => (methodScope + "/lifted", calls),
                    _ => (methodScope, calls),
                };
                foreach (var inner in PredictScopes(node.Children, childScope, childCalls))
                    yield return inner;
            }
        }
    }
}

/// <summary>FsCheck generators for module trees (depth ≤ 3, fan-out ≤ 3, ≥ 2 module types).</summary>
public static class TreeGenerators
{
    private static readonly string[] NamePool = ["enc", "dec", "head", "trunk", "_aux", "Block7"];
    private static readonly string[] ParamPool = ["w", "b", "scale"];

    public static Gen<Use> UseGen() =>
        from m in Gen.Elements(MethodKind.Call, MethodKind.Encode)
        from t in Gen.Choose(1, 2)
        select new Use(m, t);

    public static Gen<Node> NodeGen(int depth) => NodeGen(depth, mixed: false);

    public static Gen<Node> NodeGen(int depth, bool mixed) =>
        from kind in Gen.Elements(Kind.Alpha, Kind.Beta, Kind.Gamma)
        from name in Gen.Frequency((3, Gen.Constant<string?>(null)), (1, Gen.Elements(NamePool).Select(s => (string?)s)))
        from ps in Gen.SubListOf(ParamPool)
        from nUses in Gen.Choose(1, 2)
        from uses in Gen.ListOf(UseGen(), nUses)
        from children in depth >= 3 ? Gen.Constant(ImmutableArray<Node>.Empty) : SiblingsGen(depth + 1, 0, mixed)
        from wrap in mixed && !children.IsEmpty ? Gen.Elements(Wrap.None, Wrap.CondTrue, Wrap.CondFalse, Wrap.Repeat, Wrap.Lift) : Gen.Constant(Wrap.None)
        from steps in Gen.Choose(1, 3)
        select new Node(kind, name, ps.ToImmutableArray(), children, uses.ToImmutableArray(), wrap, wrap == Wrap.Repeat ? steps : 1);

    /// <summary>0..3 siblings (at least <paramref name="min"/>) whose explicit names are distinct.</summary>
    public static Gen<ImmutableArray<Node>> SiblingsGen(int depth, int min, bool mixed = false) =>
        from n in Gen.Choose(min, 3)
        from nodes in Gen.ListOf(NodeGen(depth, mixed), n)
        select DistinctNames(nodes);

    public static ImmutableArray<Node> DistinctNames(IEnumerable<Node> nodes)
    {
        var seen = new HashSet<string>();
        return nodes.Select(n => n.ExplicitName is { } s && !seen.Add(s) ? n with { ExplicitName = null } : n).ToImmutableArray();
    }

    public static Gen<Forest> ForestGen() =>
        SiblingsGen(1, 1).Select(r => new Forest(r)).Where(f => f.DistinctKinds() >= 2 && f.CountNodes() <= 24);

    public static Arbitrary<Forest> Forest() => ForestGen().ToArbitrary();

    /// <summary>Forests whose module methods also run their children through Cond, Repeat or Lift.</summary>
    public static Gen<MixedForest> MixedForestGen() =>
        SiblingsGen(1, 1, mixed: true).Select(r => new MixedForest(new Forest(r)))
            .Where(f => f.Forest.DistinctKinds() >= 2 && f.Forest.CountNodes() <= 24);

    public static Arbitrary<MixedForest> MixedForest() => MixedForestGen().ToArbitrary();
}
